"""Share routes: spaces, shares (create, mine, revoke), the import page and the confirming import POST.

Thin: parse, call :class:`ShareService`, answer. The import page is HTML (a link opens it in a browser),
so it is a page handler that redirects to the login like JupyterLab itself; its GET only reads.
"""

from __future__ import annotations

import html
import json
import secrets
from importlib import resources
from string import Template
from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join
from tornado import web

from ..errors import StudioCollabError
from ..handler import StudioCollabHandler
from .service import Answer, ShareService

if TYPE_CHECKING:
    from ..core import Core

# Any single segment reaches the service, which refuses everything but the exact id format with a 400.
SHARE_ID = r"(?P<share_id>[^/]+)"


class _ShareHandler(StudioCollabHandler):
    auth_resource = "studio_collab:share"

    def initialize(self, name: str | None = None, *, share: ShareService) -> None:
        super().initialize(name)
        self.share = share

    def answer(self, answer: Answer, status: int) -> None:
        if answer.job is not None:
            self.reply({"job": answer.job.to_json()}, 202)
        else:
            self.reply(answer.result, status)


class SpacesHandler(_ShareHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply({"in_studio": self.share.spaces.in_studio, "spaces": await self.share.spaces.spaces()})


class SharesHandler(_ShareHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply({"shares": await self.share.list_mine(await self.acting_user())})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        # Outside Studio the link opens this JupyterLab, which asks about the import in a dialog.
        local_import_url = f"{self.request.protocol}://{self.request.host}" + url_path_join(self.base_url, "lab")
        self.answer(await self.share.create(await self.acting_user(), self.json_body(), local_import_url), 201)


class ShareHandler(_ShareHandler):
    @web.authenticated
    @authorized
    async def get(self, share_id: str) -> None:
        self.reply({"share": await self.share.preview(share_id)})

    @web.authenticated
    @authorized
    async def delete(self, share_id: str) -> None:
        self.reply({"share": await self.share.revoke(await self.acting_user(), share_id)})


class ShareImportHandler(_ShareHandler):
    @web.authenticated
    @authorized
    async def post(self, share_id: str) -> None:
        self.answer(await self.share.import_share(await self.acting_user(), share_id), 200)


class ImportPageHandler(ExtensionHandlerMixin, JupyterHandler):
    """GET import?share=<id>: what was shared, and a button that confirms the import (a POST)."""

    auth_resource = "studio_collab:share"
    # Failures outside the page's own (login, authorization) answer in the one error shape, like every route.
    write_error = StudioCollabHandler.write_error
    log_exception = StudioCollabHandler.log_exception

    def initialize(self, name: str | None = None, *, share: ShareService) -> None:
        super().initialize(name)
        self.share = share

    @web.authenticated
    @authorized
    async def get(self) -> None:
        status, data = 200, {}
        try:
            data["share"] = await self.share.preview(self.get_query_argument("share", ""))
        except StudioCollabError as err:
            status, data["error"] = err.status, err.to_json()
            if err.code in ("share_revoked", "share_expired"):
                data["error"]["gone"] = True
        data["base_url"] = self.base_url
        self.xsrf_token  # noqa: B018 - sets the _xsrf cookie the page sends back with its POST
        nonce = secrets.token_urlsafe(16)
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Security-Policy", "; ".join([
            "default-src 'none'", f"script-src 'nonce-{nonce}'", f"style-src 'self' 'nonce-{nonce}'", "connect-src 'self'",
            "img-src 'self'", "font-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'self'"]))
        self.finish(_page_template().substitute(nonce=nonce, data=_script_json(data),
                                                base_url=html.escape(self.base_url, quote=True)))


def _page_template() -> Template:
    return Template(resources.files(__package__).joinpath("import_page.html").read_text("utf-8"))


def _script_json(data: dict) -> str:
    """JSON that cannot end its <script> element: every character HTML could read as markup is escaped."""
    text = json.dumps(data)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def route_handlers(core: Core) -> list[tuple]:
    kwargs = {"share": core.share}
    return [
        ("spaces", SpacesHandler, kwargs),
        ("shares", SharesHandler, kwargs),
        (rf"shares/{SHARE_ID}", ShareHandler, kwargs),
        (rf"shares/{SHARE_ID}/import", ShareImportHandler, kwargs),
        ("import", ImportPageHandler, kwargs),
    ]
