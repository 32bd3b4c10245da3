"""Share routes: spaces, shares (create, mine, revoke), the import page and the confirming import POST.

Thin: parse, call :class:`ShareService`, answer. The import page is HTML (a link opens it in a browser),
so it is a :class:`PageHandler` that redirects to the login like JupyterLab itself; its GET only reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web

from ..errors import StudioCollabError
from ..handler import StudioCollabHandler
from ..pages import PageHandler
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


class ImportPageHandler(PageHandler):
    """GET import?share=<id>: what was shared, and a form that confirms the import. It works without JavaScript (the
    lab's own import, ``?studio-collab-import=``, is the usual way): the form POSTs here with the XSRF token, a
    small file is imported at once and the browser sent to the copy; a large one runs as a job this page follows
    (``&job=<id>``, refreshing itself) until it sends the browser to the copy. The GET only reads."""

    auth_resource = "studio_collab:share"
    error_heading = "This link cannot be imported"

    def initialize(self, name: str | None = None, *, share: ShareService) -> None:
        super().initialize(name)
        self.share = share

    @web.authenticated
    @authorized
    async def get(self) -> None:
        share_id = self.get_query_argument("share", "")
        job_id = self.get_query_argument("job", "")
        try:
            shown = await self.share.preview(share_id)
            if job_id:
                viewer = await self.viewer()
                job = self.share.jobs.get_for(job_id, viewer.name)
                if job.kind != "share-import" or not job.key.startswith(f"share-import:{shown['id']}:"):
                    raise StudioCollabError("job_not_found", "There is no such import. Start it again.", 404)
                if job.state == "succeeded":
                    return self._open_copy(job.result["path"])
                if job.state in ("failed", "cancelled"):
                    error = job.error or {
                        "code": "job_cancelled",
                        "message": "The import was cancelled. Nothing was imported.",
                    }
                    raise StudioCollabError(error["code"], error["message"], 409)
                return self._render(200, shown, job=job.to_json())
        except StudioCollabError as err:
            return self._render(err.status, None, error=err)
        self._render(200, shown)

    @web.authenticated
    @authorized
    async def post(self) -> None:
        share_id = self.get_query_argument("share", "")
        # An unknown viewer is refused like on every route (403 identity_unknown: a page for a browser, JSON for
        # an API client), before anything is read.
        viewer = await self.acting_user()
        try:
            answer = await self.share.import_share(viewer, share_id)
        except StudioCollabError as err:
            shown = None
            if err.status not in (404, 410) and err.code != "invalid_share_id":
                try:
                    shown = await self.share.preview(share_id)  # the share is fine: it can be tried again
                except StudioCollabError:
                    pass
            return self._render(err.status, shown, error=err)
        if answer.job is not None:
            query = urlencode({"share": share_id, "job": answer.job.id})
            return self.redirect(url_path_join(self.base_url, "studio-collab", "import") + "?" + query, status=303)
        self._open_copy(answer.result["path"])

    def _open_copy(self, path: str) -> None:
        self.redirect(url_path_join(self.base_url, "lab", "tree", quote(path)), status=303)

    def _render(
        self, status: int, share: dict | None, error: StudioCollabError | None = None, job: dict | None = None
    ) -> None:
        data: dict = {"base_url": self.base_url}
        if share is not None:
            data["share"] = share
        if error is not None:
            data["error"] = {**error.to_json(), **({"gone": True} if error.code in _GONE else {})}
        if error is not None and error.code in _GONE:
            heading = "This share is no longer available"
        elif error is not None and share is None:
            heading = "This link cannot be imported"
        elif share is not None:
            heading = f"{share['author']} shared {share['title']}"
        else:
            heading = "Import a shared notebook"
        action = (
            url_path_join(self.base_url, "studio-collab", "import")
            + "?"
            + urlencode({"share": share["id"] if share else self.get_query_argument("share", "")})
        )
        self.render_page(
            "share/import_page.html",
            status,
            title="Import a shared notebook",
            heading=heading,
            share=share,
            error=error,
            next_step=_next_step(error),
            job=job,
            data=data,
            action_url=action,
        )


_GONE = ("share_revoked", "share_expired")


def _next_step(error: StudioCollabError | None) -> str | None:
    """The next step when the message itself does not say it."""
    if error is None or error.code in _GONE or error.code in ("share_not_found", "share_damaged"):
        return None  # these messages already end with what to do
    if error.code == "invalid_share_id":
        return "Copy the whole link again from the message it came in."
    if error.status >= 500:
        return "Try again in a minute; if it keeps failing, ask your admin to run `studio-collab doctor`."
    return None


def route_handlers(core: Core) -> list[tuple]:
    kwargs = {"share": core.share}
    return [
        ("spaces", SpacesHandler, kwargs),
        ("shares", SharesHandler, kwargs),
        (rf"shares/{SHARE_ID}", ShareHandler, kwargs),
        (rf"shares/{SHARE_ID}/import", ShareImportHandler, kwargs),
        ("import", ImportPageHandler, kwargs),
    ]
