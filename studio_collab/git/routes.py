"""GET repos · POST repos/{id}/clone · POST repos/{id}/sync · GET open (the open-in-Studio page)."""

from __future__ import annotations

import json
import re
import secrets
from importlib import resources
from typing import Any
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join
from tornado import web

from ..errors import HTTP_STATUS_CODES, HTTP_STATUS_MESSAGES, StudioCollabError
from ..handler import QuietClientErrors, StudioCollabHandler
from .resolve import SIDES as RESOLVE_SIDES
from .service import GitService
from .sync import CHOICES

REPO_ID = r"(?P<repo_id>[a-z0-9-]+)"
SYNC_ID = r"(?P<sync_id>[0-9A-Za-z-]+)"


class _GitHandler(StudioCollabHandler):
    auth_resource = "studio_collab:git"
    git: GitService


class ReposHandler(_GitHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.git.list_repos((await self.viewer()).name))


class CloneHandler(_GitHandler):
    @web.authenticated
    @authorized
    async def post(self, repo_id: str) -> None:
        job = await self.git.start_clone(repo_id, owner=await self.acting_user())
        self.reply({"job": job.to_json()}, 202)


class SyncHandler(_GitHandler):
    @web.authenticated
    @authorized
    async def post(self, repo_id: str) -> None:
        body = self.json_body()
        backup = body.get("backup_and_reclone", False)
        if not isinstance(backup, bool):
            raise StudioCollabError("invalid_request", "backup_and_reclone must be true or false.", 400)
        preview = body.get("preview", False)
        if not isinstance(preview, bool):
            raise StudioCollabError("invalid_request", "preview must be true or false.", 400)
        choice = body.get("choice")
        if choice is not None and choice not in CHOICES:
            raise StudioCollabError("invalid_request", f"choice must be one of {', '.join(CHOICES)}.", 400)
        expect = body.get("expect_upstream")
        if expect is not None and not (isinstance(expect, str) and re.fullmatch(r"[0-9a-f]{7,40}", expect)):
            raise StudioCollabError("invalid_request", "expect_upstream must be a commit id (7 to 40 hex "
                                    "characters).", 400)
        if preview and backup:
            raise StudioCollabError("invalid_request", "backup_and_reclone cannot be previewed.", 400)
        job = await self.git.start_sync(repo_id, backup_and_reclone=backup, owner=await self.acting_user(),
                                        preview=preview, choice=choice, expect_upstream=expect)
        self.reply({"job": job.to_json()}, 202)


class SyncsHandler(_GitHandler):
    @web.authenticated
    @authorized
    async def get(self, repo_id: str) -> None:
        self.reply(await self.git.list_syncs(repo_id))


class UndoSyncHandler(_GitHandler):
    @web.authenticated
    @authorized
    async def post(self, repo_id: str, sync_id: str) -> None:
        job = await self.git.start_undo(repo_id, sync_id, owner=await self.acting_user())
        self.reply({"job": job.to_json()}, 202)


class ResolveConflictHandler(_GitHandler):
    """Keep mine / take theirs for one file (or one notebook cell conflict) the latest sync left in conflict."""

    @web.authenticated
    @authorized
    async def post(self, repo_id: str, sync_id: str) -> None:
        body = self.json_body()
        path, keep, conflict = body.get("path"), body.get("keep"), body.get("conflict")
        if not isinstance(path, str) or not path or path.startswith("/") or "\0" in path \
                or ".." in path.split("/"):
            raise StudioCollabError("invalid_request", "path must be a file path inside the repository.", 400)
        if keep not in RESOLVE_SIDES:
            raise StudioCollabError("invalid_request", "keep must be 'mine' or 'theirs'.", 400)
        if conflict is not None and not (isinstance(conflict, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}",
                                                                                       conflict)):
            raise StudioCollabError("invalid_request", "conflict must be a conflict id such as 'sync-1'.", 400)
        await self.acting_user()
        self.reply(await self.git.resolve_conflict(repo_id, sync_id, path, keep, conflict))


class OpenPageHandler(QuietClientErrors, ExtensionHandlerMixin, JupyterHandler):
    """A page, not JSON. Loading it changes nothing: it shows the repo, the file and what a click would do
    (clone into the target folder, or sync with N incoming files), and only the click acts, through the POST
    routes with the XSRF token, before opening the file. A link can name a catalog id and a path inside that
    repo, nothing else."""

    auth_resource = "studio_collab:git"
    git: GitService

    def initialize(self, name: str | None = None, **services: Any) -> None:
        super().initialize(name)
        for key, value in services.items():
            setattr(self, key, value)

    @property
    def nonce(self) -> str:
        if not hasattr(self, "_nonce"):
            self._nonce = secrets.token_urlsafe(18)
        return self._nonce

    @property
    def content_security_policy(self) -> str:
        # Only this page's own inline script and style run; it talks to this server only.
        return "; ".join([super().content_security_policy, "default-src 'none'", f"script-src 'nonce-{self.nonce}'",
                          f"style-src 'nonce-{self.nonce}'", "connect-src 'self'", "base-uri 'none'",
                          "form-action 'none'"])

    @web.authenticated
    @authorized
    async def get(self) -> None:
        repo_id = self.get_query_argument("repo", "")
        target = await self.git.open_target(repo_id, self.get_query_argument("path", ""))
        self.xsrf_token  # noqa: B018 - sets the _xsrf cookie the page's POSTs send back
        lab_url = url_path_join(self.base_url, "lab")
        repo, cloned = target["repo"], target["state"] == "cloned"
        if cloned:
            count = target["incoming_files"] or 0
            plan = (f"Sync '{repo['target']}' with upstream: {count} incoming file{'s' if count != 1 else ''} as of "
                    "the last check (the sync fetches first and keeps every local edit)."
                    if count else f"Sync '{repo['target']}' with upstream: no incoming files as of the last check "
                                  "(the sync fetches first and keeps every local edit).")
        else:
            plan = f"Clone {repo['name']} into the folder '{repo['target']}'."
        data = {
            "repo_id": repo_id,
            "title": f"Open {repo['name']}",
            "repo": {"name": repo["name"], "url": repo["url"], "branch": repo["branch"], "target": repo["target"]},
            "file": target["file"] or None,
            "plan": plan,
            "incoming_files": target["incoming_files"],
            "verb": "sync" if cloned else "clone",
            "button": "Sync and open" if cloned else "Clone and open",
            "working": "Syncing…" if cloned else "Cloning…",
            "opening": "Opening in JupyterLab…",
            "api_url": url_path_join(self.base_url, "studio-collab") + "/",
            "open_url": url_path_join(lab_url, "tree", quote(target["path"])),
            "lab_url": lab_url,
        }
        self.set_header("Cache-Control", "no-store")
        self.finish(_page(self.nonce, data))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, StudioCollabError):
            status_code, code, message = exc.status, exc.code, exc.message
        elif status_code < 500:
            code = HTTP_STATUS_CODES.get(status_code, "http_error")
            message = HTTP_STATUS_MESSAGES.get(status_code) or self._reason
        else:
            code, message = "internal_error", "studio-collab hit an internal error; it is in the server log."
        self.set_status(status_code)
        if "text/html" in self.request.headers.get("Accept", ""):
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(_error_page(self.nonce, code, message))
        else:
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"code": code, "message": message}))


def _page(nonce: str, data: dict) -> str:
    template = resources.files("studio_collab.git").joinpath("open_page.html").read_text("utf-8")
    # JSON inside <script>: escape what could close the element or start markup
    payload = json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (template.replace("__NONCE__", nonce).replace("__DATA__", payload)
            .replace("__TITLE__", _html_text(data["title"])))


def _error_page(nonce: str, code: str, message: str) -> str:
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>studio-collab</title></head>"
            f"<body><h1>Cannot open this link</h1><p role=\"alert\"><code>{_html_text(code)}</code> "
            f"{_html_text(message)}</p></body></html>")


def _html_text(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def route_handlers(services: dict) -> list[tuple]:
    kwargs = {"git": services["features"]["git"]}
    return [
        ("repos", ReposHandler, kwargs),
        (rf"repos/{REPO_ID}/clone", CloneHandler, kwargs),
        (rf"repos/{REPO_ID}/sync", SyncHandler, kwargs),
        (rf"repos/{REPO_ID}/syncs", SyncsHandler, kwargs),
        (rf"repos/{REPO_ID}/syncs/{SYNC_ID}/undo", UndoSyncHandler, kwargs),
        (rf"repos/{REPO_ID}/syncs/{SYNC_ID}/resolve", ResolveConflictHandler, kwargs),
        ("open", OpenPageHandler, kwargs),
    ]
