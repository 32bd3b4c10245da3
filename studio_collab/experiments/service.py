"""Experiments (rows E1-E5): MLflow, SageMaker training jobs and legacy SageMaker Experiments in one view.

Tornado-free. Each source answers the same questions (experiments, a page of runs in an order, one run,
a metric's history); this service validates input, puts every read behind the shared short-TTL cache
(single-flight, so ten tabs polling make one request upstream), and turns a source that cannot serve
into ``available: false`` with its reason instead of an error page.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Protocol

from ..errors import StudioCollabError, bad_request, not_found
from ..studio.cache import TtlCache
from .aws_source import experiments_key
from .lineage import compare_code, compare_data, diff_summary
from .mlflow import MlflowSource
from .restore import RunRestorer
from .run_order import RunOrder

log = logging.getLogger(__name__)

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
MAX_COMPARE = 10
MAX_COMPARED_DIFF_BYTES = 2 << 20  # a diff is read for its summary only up to this size
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")
_METRIC_KEY = re.compile(r"^[\w\-. /:]{1,250}$")
# Codes meaning "this source cannot serve right now", as opposed to "this request is wrong".
UNAVAILABLE = {
    "mlflow_unreachable",
    "mlflow_error",
    "mlflow_not_configured",
    "mlflow_not_supported",
    "mlflow_access_denied",
    "aws_not_configured",
    "aws_unreachable",
    "aws_error",
    "aws_access_denied",
    "aws_throttled",
    "not_in_studio",
}


class RunSource(Protocol):
    name: str
    title: str

    def configured(self) -> bool: ...
    async def experiments(self) -> list[dict]: ...
    async def experiment(self, experiment_id: str) -> dict: ...
    async def runs(
        self, experiment_id: str, order: RunOrder, limit: int, page_token: str | None, filter_text: str | None
    ) -> dict: ...
    async def run(self, run_id: str) -> dict: ...
    async def metric_history(self, run_id: str, key: str) -> dict: ...


class ExperimentsService:
    def __init__(self, sources: list[RunSource], cache: TtlCache, ttl: float, restorer: RunRestorer | None = None):
        self.sources = {s.name: s for s in sources}
        self.cache = cache
        self.ttl = ttl
        self.restorer = restorer

    # --- feature status --------------------------------------------------------------------------
    async def availability(self) -> dict:
        # Cheap on purpose (GET status must never wait on a slow MLflow): whether any source is set up.
        # Whether each one answers right now is in GET experiments.
        if any(s.configured() for s in self.sources.values()):
            return {"available": True, "reason": None}
        return {
            "available": False,
            "reason": "No MLflow tracking URI is configured and no AWS region is known: "
            "set StudioCollabApp.mlflow_tracking_uri (or MLFLOW_TRACKING_URI), or AWS_REGION.",
        }

    # --- routes ---------------------------------------------------------------------------------
    async def overview(self) -> dict:
        """Every source with whether it can serve, and every experiment of those that can."""
        names = list(self.sources)
        answers = await asyncio.gather(
            *(self.cache.get(experiments_key(n), self.sources[n].experiments, self.ttl) for n in names),
            return_exceptions=True,
        )
        sources, experiments = [], []
        tracking_known = True
        for name, answer in zip(names, answers):
            if name == MlflowSource.name and isinstance(answer, StudioCollabError):
                # Only a server that is there but failing still has a known URI to show; asking again would
                # repeat the lookup that just failed.
                tracking_known = answer.code in ("mlflow_unreachable", "mlflow_error", "mlflow_access_denied")
            source = self.sources[name]
            if isinstance(answer, BaseException):
                sources.append(
                    {"name": name, "title": source.title, "available": False, "reason": _reason(answer, source)}
                )
                continue
            sources.append({"name": name, "title": source.title, "available": True, "reason": None})
            experiments.extend({"source": e["source"], "id": e["id"], "name": e["name"]} for e in answer)
        return {
            "sources": sources,
            "experiments": experiments,
            "tracking": await self._tracking() if tracking_known else None,
        }

    async def runs(
        self,
        source_name: str,
        experiment_id: str,
        order_by: str | None = None,
        limit: str | int | None = None,
        page_token: str | None = None,
        filter_text: str | None = None,
        best_by: str | None = None,
    ) -> dict:
        source = self._source(source_name)
        _check_id(experiment_id, "Experiment")
        order = RunOrder.parse(order_by)
        best = RunOrder.parse(best_by) if best_by else None
        if best is not None and not best.is_value:
            raise bad_request("invalid_best_by", "best_by names a metric, e.g. 'metrics.accuracy DESC'.")
        size = _limit(limit)
        token = (page_token or "").strip() or None
        if token is not None and len(token) > 4096:
            raise bad_request("invalid_page_token", "This page token is not valid. Reload the runs.")
        filter_text = (filter_text or "").strip() or None
        if filter_text is not None and len(filter_text) > 2000:
            raise bad_request("invalid_filter", "The filter is over 2000 characters.")
        try:
            page, best_run_id = await asyncio.gather(
                self._page(source, experiment_id, order, size, token, filter_text),
                self._best(source, experiment_id, best, filter_text),
            )
        except StudioCollabError as err:
            if err.code not in UNAVAILABLE:
                raise
            return {
                "available": False,
                "reason": err.message,
                "runs": [],
                "next_page_token": None,
                "order_by": order.text(),
                "best_run_id": None,
                "note": None,
            }
        return {
            "available": True,
            "reason": None,
            "runs": [_with_lineage(r) for r in page["runs"]],
            "next_page_token": page["next_page_token"],
            "order_by": order.text(),
            "best_run_id": best_run_id,
            "note": page.get("note"),
        }

    async def run(self, source_name: str, experiment_id: str, run_id: str) -> dict:
        source = self._source(source_name)
        _check_id(experiment_id, "Experiment")
        _check_id(run_id, "Run")
        run = await self._cached(
            (source.name, "run-in", experiment_id, run_id), lambda: self._run_in(source, experiment_id, run_id)
        )
        return {"run": _with_lineage(run)}

    async def metric_history(self, source_name: str, experiment_id: str, run_id: str, key: str | None) -> dict:
        if not key or not _METRIC_KEY.match(key):
            raise bad_request("invalid_metric_key", "Name the metric with ?key=, e.g. ?key=loss.")
        run = (await self.run(source_name, experiment_id, run_id))["run"]
        source = self._source(source_name)
        history = await self._cached((source.name, "history", run_id, key), lambda: source.metric_history(run_id, key))
        if not history["points"]:
            raise not_found(f"Metric '{key[:80]}' of run '{run['name'][:80]}'")
        return {"run_id": run_id, "key": key, **history}

    async def compare(self, source_name: str | None, run_ids: str | None) -> dict:
        source = self._source(source_name or "")
        ids = [r.strip() for r in (run_ids or "").split(",") if r.strip()]
        if len(ids) < 2 or len(ids) > MAX_COMPARE:
            raise bad_request("invalid_runs", f"Compare 2 to {MAX_COMPARE} runs: ?runs=<id>,<id>.")
        if len(set(ids)) != len(ids):
            raise bad_request("invalid_runs", "The same run is named twice.")
        for run_id in ids:
            _check_id(run_id, "Run")
        runs = await asyncio.gather(*(self._cached((source.name, "run", r), lambda r=r: source.run(r)) for r in ids))
        summaries = await asyncio.gather(*(self._diff_summary(source, run) for run in runs))
        return {**comparison(runs), "code": compare_code(runs, list(summaries)), "data": compare_data(runs)}

    async def restore(self, source_name: str, run_id: str, owner: str | None) -> dict:
        """Starts the job that puts the run's code (commit + recorded diff) into a new folder."""
        source = self._source(source_name)
        _check_id(run_id, "Run")
        if self.restorer is None:
            raise StudioCollabError(
                "git_unavailable", "The git feature is not part of this installation, so code cannot be restored.", 503
            )
        run = await source.run(run_id)
        job = await self.restorer.start(source, run, owner)
        return {"job": job.to_json()}

    async def _diff_summary(self, source: RunSource, run: dict) -> dict | None:
        code = run.get("code") or {}
        recorded_diff = getattr(source, "recorded_diff", None)
        if not code.get("dirty") or recorded_diff is None:
            return None
        try:
            diff = await self._cached(
                (source.name, "diff", run["id"]), lambda: recorded_diff(run["id"], MAX_COMPARED_DIFF_BYTES)
            )
        except StudioCollabError as err:
            return {"files": [], "file_count": 0, "added": 0, "removed": 0, "unavailable": err.message}
        return diff_summary(diff)

    async def mlflow_ui(self, experiment_id: str | None, run_id: str | None) -> dict:
        mlflow = self.sources.get(MlflowSource.name)
        if mlflow is None:
            raise not_found("The MLflow source")
        if experiment_id is not None:
            _check_id(experiment_id, "Experiment")
        if run_id is not None:
            _check_id(run_id, "Run")
        return await mlflow.ui_link(experiment_id, run_id)

    async def stop(self) -> None:
        for source in self.sources.values():
            close = getattr(source, "close", None)
            if close is not None:
                await close()

    # --- internals ----------------------------------------------------------------------------
    def _source(self, name: str) -> RunSource:
        source = self.sources.get(name)
        if source is None:
            raise not_found(f"Experiment source '{name[:40]}' (known: {', '.join(self.sources)})")
        return source

    async def _cached(self, key: tuple, loader):
        return await self.cache.get(("experiments", *key), loader, self.ttl)

    async def _page(
        self,
        source: RunSource,
        experiment_id: str,
        order: RunOrder,
        size: int,
        token: str | None,
        filter_text: str | None,
    ) -> dict:
        # The experiment is looked up only when the search alone cannot tell: MLflow searches an unknown id as an
        # empty experiment, and refuses one that is not a number; both must be a 404. A page of runs proves it.
        try:
            page = await self._first_page_cached(source, experiment_id, order, size, token, filter_text)
        except StudioCollabError as err:
            if err.status == 400:
                await self._experiment(source, experiment_id)
            raise
        if not page["runs"]:
            await self._experiment(source, experiment_id)
        return page

    async def _experiment(self, source: RunSource, experiment_id: str) -> dict:
        return await self._cached((source.name, "experiment", experiment_id), lambda: source.experiment(experiment_id))

    async def _first_page_cached(
        self,
        source: RunSource,
        experiment_id: str,
        order: RunOrder,
        size: int,
        token: str | None,
        filter_text: str | None,
    ) -> dict:
        # The first page is what every poll asks again, so it is cached; later pages are read on demand and not
        # kept, so paging through 10,000 runs never leaves them all in memory.
        if token is not None:
            return await source.runs(experiment_id, order, size, token, filter_text)
        return await self._cached(
            (source.name, "runs", experiment_id, order.text(), size, filter_text),
            lambda: source.runs(experiment_id, order, size, None, filter_text),
        )

    async def _run_in(self, source: RunSource, experiment_id: str, run_id: str) -> dict:
        run_in = getattr(source, "run_in", None)
        if run_in is not None:
            return await run_in(experiment_id, run_id)
        run = await source.run(run_id)
        if run.get("experiment_id") != experiment_id:
            raise not_found(f"Run '{run_id[:80]}' of experiment '{experiment_id[:80]}'")
        return run

    async def _best(
        self, source: RunSource, experiment_id: str, best: RunOrder | None, filter_text: str | None
    ) -> str | None:
        """The first run of the ``best`` order over the whole experiment; None when nothing can be starred."""
        if best is None:
            return None
        try:
            top = await self._first_page_cached(source, experiment_id, best, 1, None, filter_text)
        except StudioCollabError as err:
            if err.status == 400:
                return None  # no run logged that metric yet (or the page itself is refused, and says why)
            raise
        return top["runs"][0]["id"] if top["runs"] else None

    async def _tracking(self) -> dict | None:
        mlflow = self.sources.get(MlflowSource.name)
        if mlflow is None or not mlflow.configured():
            return None
        try:
            target = await mlflow.target()
        except StudioCollabError:
            return None
        return {"uri": target.uri, "kind": target.kind, "origin": target.origin, "snippet": target.snippet()}


def comparison(runs: list[dict]) -> dict:
    """Params and metrics side by side; which params differ; how each metric moved from the first run."""
    param_names = sorted({k for r in runs for k in r["params"]})
    metric_names = sorted({k for r in runs for k in r["metrics"]})
    params = {k: [r["params"].get(k) for r in runs] for k in param_names}
    metrics = {k: [r["metrics"].get(k) for r in runs] for k in metric_names}
    differing = [k for k in param_names if len(set(params[k])) > 1]
    deltas = {}
    for name, values in metrics.items():
        first, last = values[0], values[-1]
        deltas[name] = (last - first) if first is not None and last is not None else None
    slim = [
        {
            k: r.get(k)
            for k in ("id", "name", "status", "start_time", "end_time", "experiment_id", "source", "code", "data")
        }
        for r in runs
    ]
    return {
        "runs": slim,
        "params": params,
        "metrics": metrics,
        "differing": differing,
        "differing_metrics": [k for k in metric_names if len(set(metrics[k])) > 1],
        "metric_deltas": deltas,
    }


def _with_lineage(run: dict) -> dict:
    """Every run answers ``code`` and ``data``; a source that records neither (legacy Experiments) says so."""
    if "code" in run and "data" in run:
        return run
    return {**run, "code": run.get("code"), "data": run.get("data") or []}


def _check_id(value: str, what: str) -> None:
    if not _ID.match(value or ""):
        raise not_found(f"{what} '{(value or '')[:80]}'")


def _limit(limit: str | int | None) -> int:
    if limit in (None, ""):
        return DEFAULT_LIMIT
    try:
        size = int(limit)
    except (TypeError, ValueError):
        raise bad_request("invalid_limit", f"limit is a number from 1 to {MAX_LIMIT}.") from None
    if not 1 <= size <= MAX_LIMIT:
        raise bad_request("invalid_limit", f"limit is a number from 1 to {MAX_LIMIT}.")
    return size


def _reason(err: BaseException, source: RunSource) -> str:
    if isinstance(err, StudioCollabError):
        return err.message
    log.warning("experiments source %s failed", source.name, exc_info=err)
    return f"{source.title} failed unexpectedly; the server log has the details."
