"""GET domain: the domain's setup posture. Thin: ask the service, answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..handler import StudioCollabHandler
from .service import DomainPosture

if TYPE_CHECKING:
    from ..core import Core


class DomainHandler(StudioCollabHandler):
    # The posture card is shown in the panel's cost section and was served by cost/ first: authorizer policies
    # written for the cost resource keep covering it.
    auth_resource = "studio_collab:cost"

    def initialize(self, name: str | None = None, *, posture: DomainPosture) -> None:
        super().initialize(name)
        self.posture = posture

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.posture.read())


def route_handlers(core: Core) -> list[tuple]:
    return [("domain", DomainHandler, {"posture": core.domain})]
