"""Routes of the cost feature: GET cost, POST cost/stop, GET cost/spend, GET idle, POST idle/keep-alive,
POST idle/blockers/{kind}/{id}/shutdown, POST idle/timeout.
Thin: parse, ask the service, answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import StudioCollabError
from ..handler import StudioCollabHandler
from .service import CostService

if TYPE_CHECKING:
    from ..core import Core


class _CostHandler(StudioCollabHandler):
    auth_resource = "studio_collab:cost"

    def initialize(self, name: str | None = None, *, cost: CostService) -> None:
        super().initialize(name)
        self.cost = cost


class CostHandler(_CostHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        scope = self.get_query_argument("scope", "domain")
        # "mine" is a per-user list: only for a named viewer; the domain's table is for every member
        viewer = await self.acting_user() if scope == "mine" else (await self.viewer()).name
        answer = await self.cost.cost_answer(scope, viewer)
        # Already JSON, rendered once per inventory round and shared by every poller; a domain of a thousand
        # resources is ~0.7 MB of it, so browsers (which all accept gzip) get the compressed copy.
        self.set_header("Content-Type", "application/json")
        self.set_header("Vary", "Accept-Encoding")
        if "gzip" in self.request.headers.get("Accept-Encoding", ""):
            self.set_header("Content-Encoding", "gzip")
            self.finish(await answer.gzipped())
        else:
            self.finish(answer.body)


class StopHandler(_CostHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        kind, name = body.get("kind"), body.get("name")
        if not isinstance(kind, str) or not isinstance(name, str):
            raise StudioCollabError("invalid_request", 'Send {"kind", "name"} of the resource to stop.', 400)
        self.reply(await self.cost.stop_resource(kind, name, await self.acting_user()))


class SpendHandler(_CostHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.cost.spend((await self.viewer()).name))


class IdleHandler(_CostHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.cost.idle_status())


class KeepAliveHandler(_CostHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        self.reply(await self.cost.keep_alive(await self.acting_user()))


class BlockerShutdownHandler(_CostHandler):
    @web.authenticated
    @authorized
    async def post(self, kind: str, blocker_id: str) -> None:
        self.reply(await self.cost.shutdown_blocker(kind, blocker_id, await self.acting_user()))


class IdleTimeoutHandler(_CostHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        self.reply(await self.cost.set_space_idle_timeout(body.get("minutes"), await self.acting_user()))


def route_handlers(core: Core) -> list[tuple]:
    kwargs = {"cost": core.cost}
    return [
        ("cost", CostHandler, kwargs),
        ("cost/stop", StopHandler, kwargs),
        ("cost/spend", SpendHandler, kwargs),
        ("idle", IdleHandler, kwargs),
        ("idle/keep-alive", KeepAliveHandler, kwargs),
        (
            r"idle/blockers/(?P<kind>[a-z]+)/(?P<blocker_id>[A-Za-z0-9_.-]{1,128})/shutdown",
            BlockerShutdownHandler,
            kwargs,
        ),
        ("idle/timeout", IdleTimeoutHandler, kwargs),
    ]
