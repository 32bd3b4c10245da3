"""GET status (where am I, what works here) and GET openapi.json."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web

from .. import __version__
from ..handler import StudioCollabHandler
from ..openapi import openapi_document
from .service import StudioService

FEATURE_NAMES = ("git", "share", "experiments", "cost")


class StatusHandler(StudioCollabHandler):
    auth_resource = "studio_collab:status"
    studio: StudioService
    features: dict
    environment_label: str | None
    config_problems: list

    @web.authenticated
    @authorized
    async def get(self) -> None:
        context = self.studio.context
        owner, space_type, viewer = await asyncio.gather(
            self.studio.owner(), self.studio.space_type(), self.viewer())
        features = {}
        for name in FEATURE_NAMES:
            service = self.features.get(name)
            features[name] = (await service.availability() if service is not None else
                              {"available": False, "reason": "This feature is not part of this version yet."})
        self.reply({
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
        })


class OpenApiHandler(StudioCollabHandler):
    auth_resource = "studio_collab:status"
    feature_modules: tuple

    @web.authenticated
    @authorized
    def get(self) -> None:
        server_url = url_path_join(self.base_url, "studio-collab")
        self.reply(openapi_document(self.feature_modules, server_url))


def route_handlers(services: dict) -> list[tuple]:
    return [
        ("status", StatusHandler, {"studio": services["studio"], "features": services["features"],
                                   "environment_label": services["environment_label"],
                                   "config_problems": services.get("config_problems", [])}),
        ("openapi.json", OpenApiHandler, {"feature_modules": services["feature_modules"]}),
    ]
