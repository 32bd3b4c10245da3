"""The git feature's service: catalog, status, clone and sync jobs, background fetch and auto-clone.

Tornado-free. git runs only in the executor's worker threads (its transfer lane for clone, sync and fetch, its
quick lane for status reads, so a clone never delays ``GET repos``), each repo has its own asyncio lock (never
one lock for all), and clone and sync are jobs of the shared :class:`JobRegistry` keyed ``git:<repo id>``, so a
second click gets the running job whatever it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import re
import shutil
import time
from collections import defaultdict
from pathlib import Path

from ..errors import StudioCollabError
from ..jobs import JobRegistry, JobReporter
from ..studio.cache import TtlCache
from ..studio.executor import QUICK, TRANSFER, Executor
from .catalog import RepoCatalog
from .clone import Leftover, backup_name, clone_repo, find_leftovers, occupied_error, remove_leftover, target_state
from .command import GitCommandFailed, GitRunner, GitTimedOut, Redactor
from .credential_helper import configure_helper
from .credentials import CREDENTIAL_CONFIG, GitCredentials
from .failures import explain
from .repo_spec import RepoSpec, check_repo_path, refuse_symlinks, resolve_inside
from .resolve import ConflictResolver
from .status import fetch_upstream, incoming_files, read_status
from .sync import RepoSync, repo_lock
from .undo import SyncRecorder
from .worktree import Worktree

log = logging.getLogger(__name__)

_STATUS = "git:status"  # the cache's name for a repo's status (studio/cache.py NAMES)
_STATUS_TTL = 3.0  # seconds a status read serves every tab
_JOB_ID = re.compile(r"[0-9a-f]{16}")  # the registry's job ids (an owner record is a file: checked before use)
_GIT_ERRORS = (GitCommandFailed, GitTimedOut, OSError)


class GitService:
    def __init__(
        self,
        *,
        catalog: RepoCatalog,
        runner: GitRunner,
        credentials: GitCredentials,
        jobs: JobRegistry,
        root: Path,
        timeout: float,
        fetch_interval: float,
        auto_clone: bool,
        config_error: str | None = None,
        executor: Executor | None = None,
        cache: TtlCache | None = None,
    ):
        self.catalog = catalog
        self.runner = runner
        self.credentials = credentials
        self.jobs = jobs
        self.root = root
        self.timeout = timeout
        self.fetch_interval = fetch_interval
        self.auto_clone = auto_clone
        self.config_error = config_error
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # The server's one executor; a service built alone (a benchmark) makes and ends its own.
        self._owns_executor = executor is None
        self.executor = executor if executor is not None else Executor()
        self.cache = cache if cache is not None else TtlCache()
        self._last_fetch: dict[str, float] = {}
        self._tasks: list[asyncio.Task] = []
        self._leftovers: list[Leftover] = []  # found by recover_interrupted_clones, removed by start
        self._swept: set[Path] = set()

    # --- feature contract ------------------------------------------------------------------------
    async def availability(self) -> dict:
        if self.config_error:
            return {"available": False, "reason": f"The repository catalog config is refused: {self.config_error}"}
        if shutil.which(self.runner.executable) is None:
            return {"available": False, "reason": "git is not installed in this image."}
        return {"available": True, "reason": None}

    def recover_interrupted_clones(self) -> None:
        """Called while the server initialises, before it listens (so neither on the running event loop nor
        after a tab could ask): finds the clones a killed server left unfinished under the root and the
        admin's targets, and reports their jobs as failed. :meth:`start` removes their folders."""
        if self.config_error is None:
            self._swept = {self.root, *self._target_parents(self.catalog.config_specs)}
            self._leftovers = self._leftovers_at_start(self._swept)

    def start(self) -> None:
        if self.config_error is None:
            self._tasks.append(asyncio.get_running_loop().create_task(self._background(self._leftovers, self._swept)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._owns_executor:
            self.executor.close()
        self.credentials.close()

    # --- GET repos -------------------------------------------------------------------------------
    async def list_repos(self, viewer: str | None = None) -> dict:
        """Every repo's state for every member; a running job's id only for whoever may follow it (its owner,
        or anyone for the space's own jobs): another member sees "cloning" without the job."""
        self._require_usable()
        specs, warnings = await self.catalog.load()
        entries = await asyncio.gather(*(self._entry(spec, viewer) for spec in specs))
        return {"repos": list(entries), "warnings": warnings}

    async def _entry(self, spec: RepoSpec, viewer: str | None = None) -> dict:
        entry = spec.display()
        job = self.jobs.active_for(_key(spec.id))
        shown = job if job is not None and job.owner in (None, viewer) else None
        latest = self.jobs.latest_for(_key(spec.id))
        try:
            seen = await self._read_status(spec)
        except StudioCollabError as err:
            return {**entry, "state": "error", "status": None, "error": err.to_json(), "job": _job(shown)}
        state = {"free": "not_cloned", "cloned": "cloned", "occupied": "error"}[seen["state"]]
        error = occupied_error(spec).to_json() if seen["state"] == "occupied" else None
        if job is not None and job.kind == "git_clone":
            state = "cloning"
        elif job is None and error is None and latest is not None and latest.state == "failed":
            # every tab sees the last failure and its next step (e.g. history_diverged → backup-and-reclone)
            error = latest.error
            state = "error" if state == "not_cloned" else state
        return {**entry, "state": state, "status": seen["status"], "error": error, "job": _job(shown)}

    async def _read_status(self, spec: RepoSpec) -> dict:
        key = (_STATUS, spec.id)
        remembered = self.cache.peek(key)
        if remembered is not None and self._locks[spec.id].locked():
            return remembered  # a running job owns the repo: show the last status instead of waiting
        try:
            return await self.cache.get(
                key,
                lambda: self.executor.run(QUICK, read_status, self.runner, self.root, spec, self.timeout),
                _STATUS_TTL,
            )
        except _GIT_ERRORS as err:
            raise explain(err, "read the repository status", bool(spec.credentials_secret)) from err

    # --- clone and sync --------------------------------------------------------------------------
    async def _begin(self, repo_id: str):
        """What clone and sync start with: the catalog entry, and either the job already running for it
        (a second click gets that job) or the repo's state on disk."""
        self._require_usable()
        spec = await self.catalog.get(repo_id)
        running = self.jobs.active_for(_key(repo_id))
        if running is not None:
            return spec, running, None
        seen = (await self._read_fresh_status(spec))["state"]
        if seen == "occupied":
            raise occupied_error(spec)
        return spec, None, seen

    async def start_clone(self, repo_id: str, owner: str | None = None):
        spec, running, seen = await self._begin(repo_id)
        if running is not None:
            return running
        if seen == "cloned":
            raise StudioCollabError(
                "already_cloned", f"{spec.name} is already cloned in '{spec.target}'. Use Sync to update it.", 409
            )
        return self.jobs.start("git_clone", _key(repo_id), functools.partial(self._clone_job, spec), owner)

    async def start_sync(
        self,
        repo_id: str,
        backup_and_reclone: bool = False,
        owner: str | None = None,
        preview: bool = False,
        choice: str | None = None,
        expect_upstream: str | None = None,
    ):
        spec, running, seen = await self._begin(repo_id)
        if running is not None:
            return running
        if seen != "cloned":
            raise StudioCollabError("not_cloned", f"{spec.name} is not cloned yet. Clone it first.", 409)
        work = functools.partial(self._sync_job, spec, backup_and_reclone, preview, choice, expect_upstream)
        return self.jobs.start("git_sync_preview" if preview else "git_sync", _key(repo_id), work, owner)

    async def list_syncs(self, repo_id: str) -> dict:
        """Read-only: the sync records under the repo's private refs (no fetch, no lock)."""
        spec = await self._cloned(repo_id)
        worktree = Worktree(self.runner, resolve_inside(self.root, spec.target), self.timeout)
        try:
            syncs = await self.executor.run(QUICK, SyncRecorder(worktree).list)
        except _GIT_ERRORS as err:
            raise explain(err, "read the sync history", bool(spec.credentials_secret)) from err
        return {"syncs": syncs}

    async def start_undo(self, repo_id: str, sync_id: str, owner: str | None = None):
        spec, running, seen = await self._begin(repo_id)
        if running is not None:
            raise StudioCollabError("repo_busy", f"{spec.name} is busy with another job; undo once it is done.", 409)
        if seen != "cloned":
            raise StudioCollabError("not_cloned", f"{spec.name} is not cloned.", 409)
        return self.jobs.start("git_undo", _key(repo_id), functools.partial(self._undo_job, spec, sync_id), owner)

    async def resolve_conflict(
        self, repo_id: str, sync_id: str, path: str, keep: str, conflict: str | None = None
    ) -> dict:
        """Keep mine / take theirs for one file (or one notebook cell conflict) the latest sync left in conflict.
        Only the work tree changes (resolve.py); the repo's lock keeps it apart from a running sync or undo."""
        spec = await self._cloned(repo_id)
        async with self._locks[spec.id]:
            worktree = Worktree(self.runner, resolve_inside(self.root, spec.target), self.timeout)

            def resolve() -> dict:
                with repo_lock(worktree):
                    return ConflictResolver(worktree).resolve(sync_id, path, keep, conflict)

            try:
                return await self.executor.run_settled(TRANSFER, resolve)
            except _GIT_ERRORS as err:
                raise explain(err, "resolve the conflict", bool(spec.credentials_secret)) from err
            finally:
                self.forget_status(spec.id)

    async def _cloned(self, repo_id: str) -> RepoSpec:
        self._require_usable()
        spec = await self.catalog.get(repo_id)
        if (await self._read_status(spec))["state"] != "cloned":
            raise StudioCollabError("not_cloned", f"{spec.name} is not cloned.", 409)
        return spec

    async def _undo_job(self, spec: RepoSpec, sync_id: str, reporter: JobReporter) -> dict:
        async with self._locks[spec.id]:
            worktree = Worktree(self.runner, resolve_inside(self.root, spec.target), self.timeout)

            def undo() -> dict:
                with repo_lock(worktree):
                    return SyncRecorder(worktree).undo(sync_id)

            try:
                return await self.executor.run_settled(TRANSFER, undo)
            except _GIT_ERRORS as err:
                raise explain(err, "undo the sync", bool(spec.credentials_secret)) from err
            finally:
                self.forget_status(spec.id)

    async def open_target(self, repo_id: str, path: object) -> dict:
        """What the open page shows before anything happens: the repo, the file's path under the server root,
        and what a click would do (clone into the target folder, or sync with N incoming files as of the last
        fetch). Reads only; a symlink on the way to the file is refused, never followed."""
        self._require_usable()
        spec = await self.catalog.get(repo_id)
        relative = check_repo_path(path)
        location = f"{spec.target}/{relative}" if relative else spec.target
        seen = await self._read_fresh_status(spec)
        incoming = None
        if seen["state"] == "cloned":
            resolve_inside(resolve_inside(self.root, spec.target), relative or ".")  # a symlink out is refused
            # and one that stays inside is a link all the same: named, not opened (the link is the request's)
            await self.executor.run(QUICK, refuse_symlinks, self.root, location, 400)
            try:
                incoming = await self.executor.run(QUICK, incoming_files, self.runner, self.root, spec, self.timeout)
            except _GIT_ERRORS as err:
                raise explain(err, "read the repository status", bool(spec.credentials_secret)) from err
        elif seen["state"] == "occupied":
            raise occupied_error(spec)
        return {
            "repo": spec.display(),
            "state": seen["state"],
            "path": location,
            "file": relative,
            "incoming_files": incoming,
        }

    async def _read_fresh_status(self, spec: RepoSpec) -> dict:
        self.forget_status(spec.id)
        return await self._read_status(spec)

    async def contents_event(self, logger, schema_id: str, data: dict) -> None:
        """jupyter_server's contents events (a save, rename, delete…): the repo holding the path forgets its
        remembered status, so the next read, within the panel's refresh, is fresh."""
        path = str(data.get("path") or "").strip("/")
        if not path or self.config_error:
            return
        try:
            specs, _ = await self.catalog.load()
        except StudioCollabError:
            return
        for spec in specs:
            target = spec.target.strip("/")
            if path == target or path.startswith(target + "/"):
                self.forget_status(spec.id)

    def forget_status(self, repo_id: str | None = None) -> None:
        """Drop the remembered status (of one repo, or all): the next read asks git again."""
        if repo_id is None:
            self.cache.invalidate_name(_STATUS)
        else:
            self.cache.invalidate((_STATUS, repo_id))

    def _clone(self, spec: RepoSpec, env, config, redact, reporter: JobReporter) -> dict:
        """One clone of ``spec`` into its target (in a worker thread), reporting git's progress to the job."""
        return clone_repo(
            self.runner,
            self.root,
            spec,
            timeout=self.timeout,
            env=env,
            config=config,
            redact=redact,
            cancel=reporter.cancel_event,
            report=lambda f, t: reporter.report(f, t),
            job_id=reporter.job_id,
        )

    async def _clone_job(self, spec: RepoSpec, reporter: JobReporter) -> dict:
        async with self._locks[spec.id]:
            try:
                env, config, redact = await self._auth(spec)
                result = await self.executor.run_settled(TRANSFER, self._clone, spec, env, config, redact, reporter)
                await self.executor.run_settled(TRANSFER, self._configure_credential_helper, spec)
                return result
            except _GIT_ERRORS as err:
                raise explain(err, "clone the repository", bool(spec.credentials_secret)) from err
            finally:
                self.forget_status(spec.id)

    async def _sync_job(
        self,
        spec: RepoSpec,
        backup_and_reclone: bool,
        preview: bool,
        choice: str | None,
        expect_upstream: str | None,
        reporter: JobReporter,
    ) -> dict:
        async with self._locks[spec.id]:
            try:
                env, config, redact = await self._auth(spec)
                if backup_and_reclone:
                    return await self.executor.run_settled(
                        TRANSFER, self._backup_and_reclone, spec, env, config, redact, reporter
                    )
                worktree = Worktree(self.runner, resolve_inside(self.root, spec.target), self.timeout)
                if not preview:
                    await self.executor.run_settled(TRANSFER, self._configure_credential_helper, spec)
                sync = RepoSync(
                    worktree,
                    spec.branch,
                    fetch_env=env,
                    fetch_config=config,
                    redact=redact,
                    cancel=reporter.cancel_event,
                    report=lambda f, t: reporter.report(f, t),
                    preview=preview,
                    choice=choice,
                    expect_upstream=expect_upstream,
                    fan_out=functools.partial(self.executor.submit, QUICK),
                )
                result = await self.executor.run_settled(TRANSFER, sync.run)
                self._last_fetch[spec.id] = time.monotonic()
                return result
            except _GIT_ERRORS as err:
                raise explain(err, "sync the repository", bool(spec.credentials_secret)) from err
            finally:
                self.forget_status(spec.id)

    def _configure_credential_helper(self, spec: RepoSpec) -> None:
        """So that a terminal or jupyterlab-git can fetch a private repo too (see :mod:`.credential_helper`)."""
        if spec.credentials_secret:
            settings = self.credentials.aws.settings
            configure_helper(
                Worktree(self.runner, resolve_inside(self.root, spec.target), self.timeout),
                spec.credentials_secret,
                settings.region,
                settings.endpoint_url,
            )

    def _backup_and_reclone(self, spec: RepoSpec, env, config, redact, reporter: JobReporter) -> dict:
        """The user's folder is renamed (never deleted) and a fresh copy cloned; a failed clone puts the
        folder back."""
        target = resolve_inside(self.root, spec.target)
        backup = backup_name(target)
        os.rename(target, backup)
        try:
            self._clone(spec, env, config, redact, reporter)
        except BaseException:
            if not target.exists():
                os.rename(backup, target)
            raise
        self._configure_credential_helper(spec)
        kept = str(backup.relative_to(self.root))
        return {
            "files": [
                {
                    "path": spec.target,
                    "outcome": "kept_local",
                    "detail": f"Your previous folder, edits included, was renamed to '{kept}'.",
                }
            ],
            "notes": [],
            "backup": kept,
        }

    async def _auth(self, spec: RepoSpec) -> tuple[dict | None, tuple[str, ...], Redactor | None]:
        if not spec.credentials_secret:
            return None, (), None
        credential = await self.credentials.get(spec.credentials_secret)
        return credential.environment(self.credentials.askpass()), CREDENTIAL_CONFIG, credential.redactor()

    # --- for other features (experiments' Restore): the same auth, executor and per-repo lock ----------
    def repo_lock(self, repo_id: str) -> asyncio.Lock:
        return self._locks[repo_id]

    async def transfer_auth(self, spec: RepoSpec) -> tuple[dict | None, tuple[str, ...], Redactor | None]:
        self._require_usable()
        return await self._auth(spec)

    def _require_usable(self) -> None:
        if self.config_error:
            raise StudioCollabError(
                "catalog_config_invalid", f"The repository catalog config is refused: {self.config_error}", 503
            )

    # --- background: leftovers, auto-clone, fetch --------------------------------------------------
    def _leftovers_at_start(self, parents: set[Path]) -> list[Leftover]:
        """Clones a killed server left unfinished, under the root and the admin's targets (no AWS call needed),
        so that a tab polling an interrupted job's id after the restart gets that job as failed."""
        leftovers = [leftover for parent in parents for leftover in find_leftovers(parent, self.timeout)]
        for leftover in leftovers:
            self._report_interrupted(leftover)
        return leftovers

    def _target_parents(self, specs: list[RepoSpec]) -> set[Path]:
        parents = set()
        for spec in specs:
            with contextlib.suppress(StudioCollabError):  # a target outside the root is refused elsewhere
                parents.add(resolve_inside(self.root, spec.target).parent)
        return parents

    def _report_interrupted(self, leftover: Leftover) -> None:
        owner = leftover.interrupted
        if owner is None or not _JOB_ID.fullmatch(owner["job_id"]) or not isinstance(owner.get("repo_id"), str):
            return
        name = owner.get("name") if isinstance(owner.get("name"), str) else "the repository"
        error = StudioCollabError(
            "server_restarted",
            f"The server restarted while {name} was being cloned; the "
            "unfinished copy was removed and nothing else was changed. Clone it again.",
            409,
        )
        created = owner.get("created") if isinstance(owner.get("created"), (int, float)) else None
        self.jobs.record_failed(owner["job_id"], "git_clone", _key(owner["repo_id"]), error, created=created)
        log.warning(
            "studio-collab git: a clone of %s (job %s) was interrupted by a server restart; its unfinished "
            "copy is removed",
            name,
            owner["job_id"],
        )

    async def _background(self, leftovers: list[Leftover] = (), swept: set[Path] = frozenset()) -> None:
        for leftover in leftovers:
            await self.executor.run(QUICK, remove_leftover, leftover)
        try:
            specs, _ = await self.catalog.load()
        except StudioCollabError as err:
            log.warning("studio-collab git: catalog unavailable at start: %s", err.message)
            specs = []
        for parent in self._target_parents(specs) - swept:  # domain and profile repos' folders
            for leftover in await self.executor.run(QUICK, find_leftovers, parent, self.timeout):
                self._report_interrupted(leftover)
                await self.executor.run(QUICK, remove_leftover, leftover)
        if self.auto_clone:
            await self._auto_clone(specs)
        if self.fetch_interval > 0:
            await self._fetch_loop()

    async def _auto_clone(self, specs: list[RepoSpec]) -> None:
        for spec in specs:
            try:
                if (await self._read_fresh_status(spec))["state"] != "free":
                    continue
                job = await self.start_clone(spec.id, owner=None)  # the space's job: any member may follow it
                await self.jobs.wait(job.id)
            except StudioCollabError as err:
                log.warning("studio-collab git: auto-clone of %s skipped: %s", spec.name, err.message)

    async def _fetch_loop(self) -> None:
        while True:
            await asyncio.sleep(min(60.0, self.fetch_interval))
            try:
                specs, _ = await self.catalog.load()
            except StudioCollabError:
                continue
            for spec in specs:
                due = time.monotonic() - self._last_fetch.get(spec.id, float("-inf")) >= self.fetch_interval
                if due and not self._locks[spec.id].locked() and self.jobs.active_for(_key(spec.id)) is None:
                    await self._background_fetch(spec)

    async def _background_fetch(self, spec: RepoSpec) -> None:
        self._last_fetch[spec.id] = time.monotonic()  # also after a failure: retried next interval, not in a loop
        async with self._locks[spec.id]:
            try:
                if await self.executor.run(QUICK, target_state, self.runner, self.root, spec, self.timeout) != "cloned":
                    return
                env, config, redact = await self._auth(spec)
                worktree = Worktree(self.runner, resolve_inside(self.root, spec.target), self.timeout)
                await self.executor.run_settled(
                    TRANSFER, fetch_upstream, worktree, spec.branch, env=env, config=config, redact=redact
                )
            except (*_GIT_ERRORS, StudioCollabError) as err:
                log.info(
                    "studio-collab git: background fetch of %s failed: %s",
                    spec.name,
                    getattr(err, "message", None) or type(err).__name__,
                )
            finally:
                self.forget_status(spec.id)


def _key(repo_id: str) -> str:
    return f"git:{repo_id}"


def _job(job) -> dict | None:
    return job.to_json() if job is not None else None
