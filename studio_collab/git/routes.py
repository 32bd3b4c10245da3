"""GET repos · POST repos/{id}/clone · POST repos/{id}/sync · GET open (the open-in-Studio page)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web

from ..errors import StudioCollabError
from ..handler import StudioCollabHandler
from ..pages import PageHandler
from .resolve import SIDES as RESOLVE_SIDES
from .service import GitService
from .sync import CHOICES

if TYPE_CHECKING:
    from ..core import Core

REPO_ID = r"(?P<repo_id>[a-z0-9-]+)"
SYNC_ID = r"(?P<sync_id>[0-9A-Za-z-]+)"


class _GitHandler(StudioCollabHandler):
    auth_resource = "studio_collab:git"

    def initialize(self, name: str | None = None, *, git: GitService) -> None:
        super().initialize(name)
        self.git = git


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
            raise StudioCollabError(
                "invalid_request", "expect_upstream must be a commit id (7 to 40 hex characters).", 400
            )
        if preview and backup:
            raise StudioCollabError("invalid_request", "backup_and_reclone cannot be previewed.", 400)
        job = await self.git.start_sync(
            repo_id,
            backup_and_reclone=backup,
            owner=await self.acting_user(),
            preview=preview,
            choice=choice,
            expect_upstream=expect,
        )
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
        if not isinstance(path, str) or not path or path.startswith("/") or "\0" in path or ".." in path.split("/"):
            raise StudioCollabError("invalid_request", "path must be a file path inside the repository.", 400)
        if keep not in RESOLVE_SIDES:
            raise StudioCollabError("invalid_request", "keep must be 'mine' or 'theirs'.", 400)
        if conflict is not None and not (isinstance(conflict, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", conflict)):
            raise StudioCollabError("invalid_request", "conflict must be a conflict id such as 'sync-1'.", 400)
        await self.acting_user()
        self.reply(await self.git.resolve_conflict(repo_id, sync_id, path, keep, conflict))


class OpenPageHandler(PageHandler):
    """A page, not JSON. Loading it changes nothing: it shows the repo, the file and what a click would do
    (clone into the target folder, or sync with N incoming files), and only the click acts, through the POST
    routes with the XSRF token, before opening the file. A link can name a catalog id and a path inside that
    repo, nothing else."""

    auth_resource = "studio_collab:git"
    error_heading = "This link cannot be opened"

    def initialize(self, name: str | None = None, *, git: GitService) -> None:
        super().initialize(name)
        self.git = git

    @web.authenticated
    @authorized
    async def get(self) -> None:
        repo_id = self.get_query_argument("repo", "")
        target = await self.git.open_target(repo_id, self.get_query_argument("path", ""))
        lab_url = url_path_join(self.base_url, "lab")
        repo, cloned = target["repo"], target["state"] == "cloned"
        if cloned:
            count = target["incoming_files"] or 0
            plan = (
                f"Sync '{repo['target']}' with upstream: {count} incoming file{'s' if count != 1 else ''} as of "
                "the last check (the sync fetches first and keeps every local edit)."
                if count
                else f"Sync '{repo['target']}' with upstream: no incoming files as of the last check "
                "(the sync fetches first and keeps every local edit)."
            )
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
        self.render_page("git/open_page.html", title=data["title"], data=data)


def route_handlers(core: Core) -> list[tuple]:
    kwargs = {"git": core.git}
    return [
        ("repos", ReposHandler, kwargs),
        (rf"repos/{REPO_ID}/clone", CloneHandler, kwargs),
        (rf"repos/{REPO_ID}/sync", SyncHandler, kwargs),
        (rf"repos/{REPO_ID}/syncs", SyncsHandler, kwargs),
        (rf"repos/{REPO_ID}/syncs/{SYNC_ID}/undo", UndoSyncHandler, kwargs),
        (rf"repos/{REPO_ID}/syncs/{SYNC_ID}/resolve", ResolveConflictHandler, kwargs),
        ("open", OpenPageHandler, kwargs),
    ]
