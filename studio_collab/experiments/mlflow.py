"""MLflow runs through MLflow's documented REST API (``/api/2.0/mlflow/...``).

No ``import mlflow``: the package costs ~155 MB and 1.5 s to import, more than this whole extension may use.
Requests go through Tornado's async HTTP client with connect and request timeouts, so a slow or dead
server costs one timeout and no thread. Ordering, filtering and paging happen in MLflow's ``runs/search``,
so one page of runs is all that is ever held in memory, however many runs the experiment has.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ..errors import StudioCollabError, bad_request, not_found
from ..provenance.tags import DIFF_ARTIFACT, DIFF_ARTIFACT_PATH
from ..studio.aws import AwsClients
from ..studio.cache import TtlCache
from ..studio.context import StudioContext
from .lineage import code_from_tags, datasets_from_inputs, inline_diff, is_provenance_tag
from .run_order import RunOrder, unknown_key_error
from .tracking import RequestSigner, TrackingTarget, active_tracking_server, target_from_uri

if TYPE_CHECKING:
    from ..core import ExperimentsConfig

log = logging.getLogger(__name__)

API = "/api/2.0/mlflow/"
MAX_EXPERIMENTS = 2000
MAX_HISTORY_POINTS = 5000
# Tags people set themselves are shown; of MLflow's own tags only these few say something about a run.
_SYSTEM_TAGS_SHOWN = {
    "mlflow.user",
    "mlflow.source.name",
    "mlflow.source.git.commit",
    "mlflow.note.content",
    "mlflow.parentRunId",
}
_MAX_TAG_CHARS = 2000
_KEPT_INLINE_DIFFS = 256
_INLINE_DIFF_SECONDS = 60.0  # a diff read with its run serves a Restore clicked within this time


@dataclass(frozen=True)
class MlflowSettings:
    tracking_uri: str | None  # admin config
    env_tracking_uri: str | None  # $MLFLOW_TRACKING_URI
    endpoint_url: str | None  # override of the SageMaker endpoint
    timeout: float
    resolve_ttl: float
    env: dict


class MlflowSource:
    """One of the experiment sources: an MLflow tracking server, plain or SageMaker-managed."""

    name = "mlflow"
    title = "MLflow"

    def __init__(self, settings: MlflowSettings, aws: AwsClients, context: StudioContext, cache: TtlCache):
        self.settings = settings
        self.aws = aws
        self.context = context
        self.cache = cache
        self.signer = RequestSigner(aws)
        self._http = None
        self._inline_diffs: dict[str, tuple[float, bytes]] = {}  # run id -> (when read, diff) of the last runs read

    # --- which server -------------------------------------------------------------------------
    def configured(self) -> bool:
        return bool(self.settings.tracking_uri or self.settings.env_tracking_uri or self.context.in_studio)

    async def target(self) -> TrackingTarget:
        return await self.cache.get(("experiments", "mlflow-target"), self._resolve, self.settings.resolve_ttl)

    async def _resolve(self) -> TrackingTarget:
        s = self.settings
        if s.tracking_uri:
            return target_from_uri(s.tracking_uri, "config", s.endpoint_url, s.env)
        if s.env_tracking_uri:
            return target_from_uri(s.env_tracking_uri, "environment", s.endpoint_url, s.env)
        if not self.context.in_studio:
            raise StudioCollabError(
                "mlflow_not_configured",
                "No MLflow tracking server is set: configure "
                "StudioCollabApp.mlflow_tracking_uri or MLFLOW_TRACKING_URI.",
                409,
            )
        # Serverless MLflow Apps first, as AWS now recommends them: the domain's default App, then the account's
        # default, then the active tracking server. A role without ListMlflowApps (or a region without Apps)
        # goes straight to the tracking servers.
        for app_filter in ({"DefaultForDomainId": self.context.domain_id}, {"AccountDefaultStatus": "ENABLED"}):
            if not all(app_filter.values()):
                continue
            try:
                apps = await self.aws.paginate(
                    "sagemaker", "ListMlflowApps", "Summaries", region=self.context.region, limit=100, **app_filter
                )
            except StudioCollabError as err:
                if err.code in ("aws_access_denied", "aws_validation", "aws_error"):
                    log.info("MLflow Apps not listed (%s); looking for tracking servers", err.message)
                    break
                raise
            usable = sorted(
                (a for a in apps if a.get("Status") in ("Created", "Updated") and a.get("Arn")),
                key=lambda a: str(a.get("CreationTime") or ""),
                reverse=True,
            )
            if usable:
                return target_from_uri(usable[0]["Arn"], "studio", s.endpoint_url, s.env)
        servers = await self.aws.paginate(
            "sagemaker", "ListMlflowTrackingServers", "TrackingServerSummaries", region=self.context.region, limit=500
        )
        active = active_tracking_server(servers)
        if active is None:
            raise StudioCollabError(
                "mlflow_not_configured",
                "This account has no active SageMaker MLflow tracking "
                "server in this region. Create one in Studio (MLflow), or set "
                "StudioCollabApp.mlflow_tracking_uri.",
                409,
            )
        return target_from_uri(active["TrackingServerArn"], "studio", s.endpoint_url, s.env)

    # --- the REST calls -------------------------------------------------------------------------
    async def request(self, method: str, endpoint: str, query: dict | None = None, body: dict | None = None) -> dict:
        target = await self.target()
        response = await self._fetch(target, method, target.base_url + API + endpoint, query, body, endpoint)
        return _answer(target, endpoint, response)

    async def _fetch(
        self, target: TrackingTarget, method: str, url: str, query: dict | None, body: dict | None, what: str
    ):
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest

        if query:
            url += "?" + urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        if target.is_sagemaker:
            headers = await self.signer.sign(target, method, url, data)
        else:
            headers = target.static_headers()
        if self._http is None:
            # Our own client (not the shared singleton): MLflow traffic never queues behind other features'.
            self._http = AsyncHTTPClient(force_instance=True, max_clients=16)
        timeout = self.settings.timeout
        request = HTTPRequest(
            url,
            method=method,
            headers=headers,
            body=data,
            connect_timeout=min(timeout, 5.0),
            request_timeout=timeout,
            follow_redirects=False,
            decompress_response=True,
        )
        try:
            return await self._http.fetch(request, raise_error=False)
        except Exception as err:  # noqa: BLE001 - timeouts, refused connections, DNS and TLS failures alike
            # raise_error=False covers HTTP statuses only; a timeout or a refused connection still raises.
            log.info("MLflow %s %s: %s", method, what, err)
            reason = "did not answer in time" if "timeout" in str(err).lower() else "is not reachable"
            raise StudioCollabError(
                "mlflow_unreachable",
                f"MLflow at {target.uri} {reason} (waited up to "
                f"{timeout:g} s). Check that the tracking server is running, then retry.",
                503,
            ) from None

    async def artifact(self, run_id: str, path: str, max_bytes: int) -> bytes:
        """One artifact file of a run, through the tracking server (``artifacts/list`` for its size first, so a
        file over ``max_bytes`` is refused before any of it is read)."""
        folder, _, _name = path.rpartition("/")
        listing = await self.request("GET", "artifacts/list", {"run_id": run_id, "path": folder})
        entry = next((f for f in listing.get("files") or [] if f.get("path") == path and not f.get("is_dir")), None)
        if entry is None:
            raise StudioCollabError(
                "artifact_missing",
                f"The run has no artifact '{path[:200]}' (its upload may have "
                "failed when the run started). Its tags still name the commit.",
                404,
            )
        size = int(entry.get("file_size") or 0)
        if size > max_bytes:
            raise StudioCollabError(
                "artifact_too_large",
                f"The artifact '{path[:200]}' is {size:,} bytes; at most {max_bytes:,} are read.",
                413,
            )
        target = await self.target()
        response = await self._fetch(
            target, "GET", target.base_url + "/get-artifact", {"path": path, "run_uuid": run_id}, None, "get-artifact"
        )
        if response.code != 200:
            _answer(target, "get-artifact", response)  # raises the matching error
            raise StudioCollabError(
                "mlflow_error", f"MLflow at {target.uri} answered HTTP {response.code} to get-artifact.", 503
            )
        body = response.body or b""
        if len(body) > max_bytes:
            raise StudioCollabError(
                "artifact_too_large", f"The artifact '{path[:200]}' is over {max_bytes:,} bytes.", 413
            )
        return body

    # --- what the service asks -----------------------------------------------------------------
    async def experiments(self) -> list[dict]:
        found: list[dict] = []
        token = None
        while len(found) < MAX_EXPERIMENTS:
            body: dict[str, Any] = {
                "max_results": 1000,
                "view_type": "ACTIVE_ONLY",
                "order_by": ["last_update_time DESC"],
            }
            if token:
                body["page_token"] = token
            page = await self.request("POST", "experiments/search", body=body)
            found.extend(
                {
                    "source": self.name,
                    "id": str(e["experiment_id"]),
                    "name": e.get("name") or "",
                    "last_update_time": e.get("last_update_time"),
                }
                for e in page.get("experiments", [])
            )
            token = page.get("next_page_token")
            if not token:
                break
        return found[:MAX_EXPERIMENTS]

    async def experiment(self, experiment_id: str) -> dict:
        try:
            answer = await self.request("GET", "experiments/get", {"experiment_id": experiment_id})
        except StudioCollabError as err:
            if err.status in (400, 404):  # MLflow says 400 for an id that is not a number
                raise not_found(f"MLflow experiment '{experiment_id[:80]}'") from None
            raise
        experiment = answer.get("experiment") or {}
        if experiment.get("lifecycle_stage") == "deleted":
            raise not_found(f"MLflow experiment '{experiment_id[:80]}'")
        return {"source": self.name, "id": str(experiment.get("experiment_id")), "name": experiment.get("name")}

    async def runs(
        self, experiment_id: str, order: RunOrder, limit: int, page_token: str | None, filter_text: str | None
    ) -> dict:
        body: dict[str, Any] = {
            "experiment_ids": [experiment_id],
            "max_results": limit,
            "order_by": [order.mlflow_clause()],
            "run_view_type": "ACTIVE_ONLY",
        }
        if filter_text:
            body["filter"] = filter_text
        if page_token:
            body["page_token"] = page_token
        try:
            page = await self.request("POST", "runs/search", body=body)
        except StudioCollabError as err:
            raise _search_error(err, filter_text, page_token) from None
        runs = [run_from_mlflow(r) for r in page.get("runs", [])]
        if order.is_value and not page_token and runs and order.value_of(runs[0]) is None:
            # MLflow sorts runs lacking the key last in both directions: if the top run lacks it, none has it.
            raise unknown_key_error(order, runs, bool(filter_text))
        return {"runs": runs, "next_page_token": page.get("next_page_token") or None}

    async def run(self, run_id: str) -> dict:
        try:
            answer = await self.request("GET", "runs/get", {"run_id": run_id})
        except StudioCollabError as err:
            if err.status in (400, 404):
                raise not_found(f"MLflow run '{run_id[:80]}'") from None
            raise
        raw = answer.get("run") or {}
        if (raw.get("info") or {}).get("lifecycle_stage") == "deleted":
            raise not_found(f"MLflow run '{run_id[:80]}'")
        run = run_from_mlflow(raw)
        tags = {t["key"]: t.get("value", "") for t in (raw.get("data") or {}).get("tags", []) if "key" in t}
        inline = inline_diff(tags)
        if inline is not None:  # Restore right after reading the run needs no second request
            self._inline_diffs[run_id] = (time.monotonic(), inline)
            while len(self._inline_diffs) > _KEPT_INLINE_DIFFS:
                self._inline_diffs.pop(next(iter(self._inline_diffs)))
        return run

    async def recorded_diff(self, run_id: str, max_bytes: int) -> bytes:
        """The uncommitted changes the run recorded: the inline tag when the diff was small, else the artifact."""
        kept = self._inline_diffs.get(run_id)
        if kept is not None and time.monotonic() - kept[0] < _INLINE_DIFF_SECONDS:
            return kept[1]
        answer = await self.request("GET", "runs/get", {"run_id": run_id})
        data = (answer.get("run") or {}).get("data") or {}
        tags = {t["key"]: t.get("value", "") for t in data.get("tags", []) if "key" in t}
        inline = inline_diff(tags)
        if inline is not None:
            return inline
        return await self.artifact(run_id, tags.get(DIFF_ARTIFACT) or DIFF_ARTIFACT_PATH, max_bytes)

    async def metric_history(self, run_id: str, key: str) -> dict:
        answer = await self.request(
            "GET", "metrics/get-history", {"run_id": run_id, "metric_key": key, "max_results": MAX_HISTORY_POINTS}
        )
        points = [
            {"step": int(m.get("step") or 0), "timestamp": m.get("timestamp"), "value": _number(m.get("value"))}
            for m in answer.get("metrics", [])
        ]
        points.sort(key=lambda p: (p["step"], p["timestamp"] or 0))
        return {"points": points, "truncated": bool(answer.get("next_page_token"))}

    async def ui_link(self, experiment_id: str | None, run_id: str | None) -> dict:
        target = await self.target()
        if not target.is_sagemaker:
            return {"url": target.ui_url(experiment_id, run_id), "presigned": False}
        # A presigned URL works once and for a minute: made on each click, never cached.
        if target.kind == "mlflow-app":
            answer = await self.aws.call(
                "sagemaker", "CreatePresignedMlflowAppUrl", region=target.region, Arn=target.arn, ExpiresInSeconds=60
            )
        else:
            answer = await self.aws.call(
                "sagemaker",
                "CreatePresignedMlflowTrackingServerUrl",
                region=target.region,
                TrackingServerName=target.resource_name,
                ExpiresInSeconds=60,
            )
        return {"url": answer["AuthorizedUrl"], "presigned": True}

    async def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None


def settings_from(config: ExperimentsConfig, resolve_ttl: float) -> MlflowSettings:
    """The MLflow settings from the experiments options and the environment; ``resolve_ttl``: how long the tracking
    server the domain points at is cached (the Studio descriptions' TTL)."""
    env = dict(os.environ)
    return MlflowSettings(
        tracking_uri=config.mlflow_tracking_uri or None,
        env_tracking_uri=env.get("MLFLOW_TRACKING_URI") or None,
        endpoint_url=config.mlflow_endpoint_url or env.get("SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT") or None,
        timeout=config.mlflow_timeout_seconds,
        resolve_ttl=resolve_ttl,
        env={k: v for k, v in env.items() if k.startswith("MLFLOW_TRACKING_")},
    )


def run_from_mlflow(raw: dict) -> dict:
    info = raw.get("info") or {}
    data = raw.get("data") or {}
    tags = {t["key"]: t.get("value", "") for t in data.get("tags", []) if "key" in t}
    run_id = info.get("run_id") or info.get("run_uuid") or ""
    return {
        "id": run_id,
        "name": info.get("run_name") or tags.get("mlflow.runName") or run_id[:8],
        "status": info.get("status") or "UNKNOWN",
        "start_time": info.get("start_time"),
        "end_time": info.get("end_time"),
        "params": {p["key"]: p.get("value", "") for p in data.get("params", []) if "key" in p},
        "metrics": {m["key"]: _number(m.get("value")) for m in data.get("metrics", []) if "key" in m},
        "tags": {
            k: v[:_MAX_TAG_CHARS]
            for k, v in tags.items()
            if (not k.startswith("mlflow.") or k in _SYSTEM_TAGS_SHOWN) and not is_provenance_tag(k)
        },
        "code": code_from_tags(tags),
        "data": datasets_from_inputs(raw.get("inputs")),
        "experiment_id": str(info.get("experiment_id", "")),
        "source": "mlflow",
        "details": {"user": info.get("user_id") or None},
    }


def _number(value: Any) -> float | None:
    """MLflow's JSON writes NaN and infinities as strings; JSON has no such numbers, so they become null."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _answer(target: TrackingTarget, endpoint: str, response) -> dict:
    where = f"MLflow at {target.uri}"
    if response.code == 599:  # some HTTP clients report network failures as a response
        raise StudioCollabError(
            "mlflow_unreachable",
            f"{where} is not reachable. Check that the tracking server is running, then retry.",
            503,
        )
    if response.code in (401, 403):  # often an HTML page from a proxy or the SageMaker endpoint
        hint = (
            "the space's execution role needs sagemaker-mlflow:* on this tracking server"
            if target.is_sagemaker
            else "set MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN for the Jupyter server"
        )
        raise StudioCollabError("mlflow_access_denied", f"{where} refused access: {hint}.", 403)
    try:
        payload = json.loads(response.body or b"{}")
    except ValueError:
        payload = None
    if not isinstance(payload, dict) and response.code == 404:
        raise StudioCollabError(
            "mlflow_error",
            f"{where} does not look like an MLflow server (HTTP 404 for its REST API). Check the tracking URI.",
            503,
        )
    if response.code >= 500 or not isinstance(payload, dict):
        log.warning("MLflow %s answered HTTP %s", endpoint, response.code)
        raise StudioCollabError(
            "mlflow_error",
            f"{where} answered HTTP {response.code} to {endpoint}. The server "
            "may be starting or overloaded; retry in a minute.",
            503,
        )
    if response.code == 404:
        raise StudioCollabError("mlflow_not_found", str(payload.get("message") or "Not found")[:300], 404)
    if response.code >= 300:
        raise StudioCollabError("mlflow_invalid_request", str(payload.get("message") or "Bad request")[:300], 400)
    return payload


def _search_error(err: StudioCollabError, filter_text: str | None, page_token: str | None) -> StudioCollabError:
    if err.code != "mlflow_invalid_request":
        return err
    if page_token and "token" in err.message.lower():
        return bad_request("invalid_page_token", "This page token is not valid any more. Reload the runs.")
    if filter_text:
        return bad_request("invalid_filter", f"MLflow cannot use this filter: {err.message}")
    return bad_request("invalid_order_by", f"MLflow cannot order runs this way: {err.message}")
