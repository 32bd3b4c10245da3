"""Experiment routes: thin, every verb authenticated and authorized as ``studio_collab:experiments``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..handler import StudioCollabHandler
from .service import ExperimentsService

if TYPE_CHECKING:
    from ..core import Core

SOURCE = r"(?P<source>[a-z0-9-]+)"
EXPERIMENT = r"(?P<experiment_id>[^/]+)"
RUN = r"(?P<run_id>[^/]+)"


class ExperimentsHandler(StudioCollabHandler):
    auth_resource = "studio_collab:experiments"

    def initialize(self, name: str | None = None, *, experiments: ExperimentsService) -> None:
        super().initialize(name)
        self.experiments = experiments

    def query(self, name: str) -> str | None:
        return self.get_query_argument(name, None)


class OverviewHandler(ExperimentsHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.experiments.overview())


class RunsHandler(ExperimentsHandler):
    @web.authenticated
    @authorized
    async def get(self, source: str, experiment_id: str) -> None:
        self.reply(
            await self.experiments.runs(
                source,
                experiment_id,
                order_by=self.query("order_by"),
                limit=self.query("limit"),
                page_token=self.query("page_token"),
                filter_text=self.query("filter"),
                best_by=self.query("best_by"),
            )
        )


class RunHandler(ExperimentsHandler):
    @web.authenticated
    @authorized
    async def get(self, source: str, experiment_id: str, run_id: str) -> None:
        self.reply(await self.experiments.run(source, experiment_id, run_id))


class MetricHistoryHandler(ExperimentsHandler):
    @web.authenticated
    @authorized
    async def get(self, source: str, experiment_id: str, run_id: str) -> None:
        self.reply(await self.experiments.metric_history(source, experiment_id, run_id, self.query("key")))


class CompareHandler(ExperimentsHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.experiments.compare(self.query("source"), self.query("runs")))


class RestoreHandler(ExperimentsHandler):
    @web.authenticated
    @authorized
    async def post(self, source: str, run_id: str) -> None:
        self.reply(await self.experiments.restore(source, run_id, await self.acting_user()), 202)


class MlflowUiHandler(ExperimentsHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        experiment_id, run_id = body.get("experiment_id"), body.get("run_id")
        self.reply(
            await self.experiments.mlflow_ui(
                str(experiment_id) if experiment_id is not None else None, str(run_id) if run_id is not None else None
            )
        )


def route_handlers(core: Core) -> list[tuple]:
    kwargs = {"experiments": core.experiments}
    return [
        (r"experiments", OverviewHandler, kwargs),
        (r"experiments/compare", CompareHandler, kwargs),
        (r"experiments/mlflow-ui", MlflowUiHandler, kwargs),
        (rf"experiments/{SOURCE}/runs/{RUN}/restore", RestoreHandler, kwargs),
        (rf"experiments/{SOURCE}/{EXPERIMENT}/runs", RunsHandler, kwargs),
        (rf"experiments/{SOURCE}/{EXPERIMENT}/runs/{RUN}", RunHandler, kwargs),
        (rf"experiments/{SOURCE}/{EXPERIMENT}/runs/{RUN}/metric-history", MetricHistoryHandler, kwargs),
    ]
