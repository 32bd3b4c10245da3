"""GET status (where am I, what works here) and GET openapi.json."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web

from .. import __version__
from ..config import OptionProblem
from ..core import FEATURES
from ..handler import StudioCollabHandler
from ..openapi import openapi_document
from .service import StudioService

if TYPE_CHECKING:
    from ..core import Core


class StatusHandler(StudioCollabHandler):
    auth_resource = "studio_collab:status"

    def initialize(
        self,
        name: str | None = None,
        *,
        studio: StudioService,
        features: Mapping[str, Any],
        environment_label: str | None,
        config_problems: list[OptionProblem],
    ) -> None:
        super().initialize(name)
        self.studio = studio
        self.features = features  # each present feature's service (or RefusedFeature), by name
        self.environment_label = environment_label
        self.config_problems = config_problems

    @web.authenticated
    @authorized
    async def get(self) -> None:
        context = self.studio.context
        owner, space_type, viewer = await asyncio.gather(self.studio.owner(), self.studio.space_type(), self.viewer())
        features = {}
        for name in FEATURES:  # every feature, present or not: the one list the panel reads
            service = self.features.get(name)
            features[name] = (
                await service.availability()
                if service is not None
                else {"available": False, "reason": "This feature is not part of this version yet."}
            )
        self.reply(
            {
                "version": __version__,
                "environment_label": self.environment_label,
                "studio": {
                    "in_studio": context.in_studio,
                    "reason": context.reason,
                    "domain_id": context.domain_id,
                    "space_name": context.space_name,
                    "space_type": space_type,
                    "owner": owner,
                    "user": viewer.name,
                    "user_unknown_reason": viewer.reason,
                    "region": context.region,
                    "account_id": context.account_id,
                    "app_type": context.app_type,
                    "app_name": context.app_name,
                    "execution_role": context.execution_role,
                },
                "features": features,
                # every option refused at load, named (studio_collab/config.py); its feature is off
                "config_problems": [p.to_json() for p in self.config_problems],
            }
        )


class OpenApiHandler(StudioCollabHandler):
    auth_resource = "studio_collab:status"

    def initialize(self, name: str | None = None, *, feature_modules: tuple[str, ...]) -> None:
        super().initialize(name)
        self.feature_modules = feature_modules

    @web.authenticated
    @authorized
    def get(self) -> None:
        server_url = url_path_join(self.base_url, "studio-collab")
        self.reply(openapi_document(self.feature_modules, server_url))


def route_handlers(core: Core) -> list[tuple]:
    return [
        (
            "status",
            StatusHandler,
            {
                "studio": core.studio,
                "features": core.features(),
                "environment_label": core.environment_label,
                "config_problems": core.config_problems,
            },
        ),
        ("openapi.json", OpenApiHandler, {"feature_modules": core.feature_modules}),
    ]
