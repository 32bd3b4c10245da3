"""Background jobs: state, progress, result, error and cancel, readable by any tab at any time.

A job is an asyncio task; blocking work inside it runs in a thread and reports through a
:class:`JobReporter`, which is thread-safe, throttles progress to a few updates a second, and carries the
cancel flag that thread code (a git subprocess, an upload loop) polls to stop early. A job started for a
``key`` that already has a running job returns that job, so a second click never starts a second clone.

A job belongs to who started it (``owner``, the viewer's user profile): only they read, follow or cancel it,
and anyone else gets the same 404 as for a job that never existed (its result can name a share link and a
source path). A job the server started itself (auto-clone, a clone a restart interrupted) has no owner and
is the space's: any named viewer may follow or cancel it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import StudioCollabError

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
_PROGRESS_INTERVAL = 0.25  # seconds between pushed progress updates (at most 4 a second)


class JobCancelled(Exception):
    """Raised inside a job's work when its cancel flag is set."""


@dataclass
class Job:
    id: str
    kind: str
    key: str
    owner: str | None = None
    state: str = "queued"
    progress: float = 0.0
    message: str = ""
    result: Any = None
    error: dict | None = None
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    version: int = 0

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "progress": round(self.progress, 4),
            "message": self.message,
            "result": self.result,
            "error": self.error,
            "created": self.created,
            "updated": self.updated,
        }

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


class JobReporter:
    """What a job's work sees: report progress, check for cancel. Safe to call from any thread."""

    def __init__(self, registry: JobRegistry, job: Job, loop: asyncio.AbstractEventLoop):
        self._registry = registry
        self._job = job
        self._loop = loop
        self.cancel_event = threading.Event()
        self._last_push = 0.0

    @property
    def job_id(self) -> str:
        return self._job.id

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def raise_if_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise JobCancelled()

    def report(self, progress: float | None = None, message: str | None = None, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_push < _PROGRESS_INTERVAL:
            return
        self._last_push = now
        update = lambda: self._registry._update(self._job, progress=progress, message=message)  # noqa: E731
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            update()
        else:
            self._loop.call_soon_threadsafe(update)


Work = Callable[[JobReporter], Awaitable[Any]]


class JobRegistry:
    def __init__(self, keep_seconds: float = 3600.0, max_jobs: int = 500):
        self._jobs: dict[str, Job] = {}
        self._reporters: dict[str, JobReporter] = {}
        self._tasks: dict[str, asyncio.Task] = {}
        self._changed: dict[str, asyncio.Event] = {}
        self._keep_seconds = keep_seconds
        self._max_jobs = max_jobs

    def start(self, kind: str, key: str, work: Work, owner: str | None = None) -> Job:
        for job in self._jobs.values():
            if job.key == key and job.active:
                return job
        self._prune()
        job = Job(id=secrets.token_hex(8), kind=kind, key=key, owner=owner)
        loop = asyncio.get_running_loop()
        reporter = JobReporter(self, job, loop)
        self._jobs[job.id] = job
        self._reporters[job.id] = reporter
        self._tasks[job.id] = loop.create_task(self._run(job, reporter, work))
        return job

    def record_failed(
        self,
        job_id: str,
        kind: str,
        key: str,
        error: StudioCollabError,
        owner: str | None = None,
        created: float | None = None,
    ) -> Job:
        """Register a job that failed outside this server's life: a clone a killed server left unfinished, so
        that a tab still polling its id after the restart learns what happened (not "no such job"), and the
        repo's row shows the failure and its next step. A job id this registry already has is left alone."""
        existing = self._jobs.get(job_id)
        if existing is not None:
            return existing
        self._prune()
        job = Job(
            id=job_id, kind=kind, key=key, owner=owner, state="failed", error=error.to_json(), message=error.message
        )
        if created is not None:
            job.created = min(created, job.created)
        self._jobs[job_id] = job
        return job

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise StudioCollabError("job_not_found", "No such job; it may have finished over an hour ago.", 404)
        return job

    def get_for(self, job_id: str, viewer: str | None) -> Job:
        """The job, when ``viewer`` may see it: its owner, or anyone for a job of the space (no owner)."""
        job = self.get(job_id)
        if job.owner is not None and job.owner != viewer:
            raise StudioCollabError("job_not_found", "No such job; it may have finished over an hour ago.", 404)
        return job

    def cancel_for(self, job_id: str, viewer: str) -> Job:
        self.get_for(job_id, viewer)
        return self.cancel(job_id)

    def active_for(self, key: str) -> Job | None:
        return next((j for j in self._jobs.values() if j.key == key and j.active), None)

    def latest_for(self, key: str) -> Job | None:
        jobs = [j for j in self._jobs.values() if j.key == key]
        return max(jobs, key=lambda j: j.created) if jobs else None

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.active:
            self._reporters[job_id].cancel_event.set()
            self._update(job, message="Cancelling…")
            # The work sees the flag (threads) or the CancelledError (coroutines); both end as "cancelled".
            task = self._tasks.get(job_id)
            if task is not None and not task.done():
                task.cancel()
        return job

    async def wait_for_change(self, job_id: str, version: int, timeout: float) -> Job:
        """Returns when the job's version passes ``version`` or ``timeout`` seconds pass."""
        job = self.get(job_id)
        if job.version != version:
            return job
        event = self._changed.setdefault(job_id, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        return job

    async def wait(self, job_id: str) -> Job:
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.shield(task)
        return self.get(job_id)

    async def shutdown(self) -> None:
        for job_id in list(self._tasks):
            job = self._jobs[job_id]
            if job.active:
                self.cancel(job_id)
        tasks = [t for t in self._tasks.values() if not t.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=10)

    async def _run(self, job: Job, reporter: JobReporter, work: Work) -> None:
        self._update(job, state="running")
        try:
            result = await work(reporter)
        except (JobCancelled, asyncio.CancelledError):
            self._update(job, state="cancelled", message="Cancelled.")
        except StudioCollabError as err:
            self._update(job, state="failed", error=err.to_json(), message=err.message)
        except Exception:  # noqa: BLE001 - the traceback goes to the log, a safe message to the job
            log.exception("studio-collab job %s (%s) failed", job.id, job.kind)
            error = {"code": "internal_error", "message": "The job failed unexpectedly; details are in the server log."}
            self._update(job, state="failed", error=error, message=error["message"])
        else:
            if reporter.cancelled:
                self._update(job, state="cancelled", message="Cancelled.")
            else:
                self._update(job, state="succeeded", progress=1.0, result=result, message="Done.")
        finally:
            self._tasks.pop(job.id, None)

    def _update(self, job: Job, **changes: Any) -> None:
        if not job.active and "state" not in changes:
            return  # a late progress report from a thread must not revive a finished job
        for key, value in changes.items():
            if value is not None:
                setattr(job, key, max(0.0, min(1.0, float(value))) if key == "progress" else value)
        job.updated = time.time()
        job.version += 1
        event = self._changed.pop(job.id, None)
        if event is not None:
            event.set()

    def _prune(self) -> None:
        cutoff = time.time() - self._keep_seconds
        finished = sorted((j for j in self._jobs.values() if not j.active), key=lambda j: j.updated)
        for job in finished:
            if job.updated < cutoff or len(self._jobs) >= self._max_jobs:
                self._jobs.pop(job.id, None)
                self._reporters.pop(job.id, None)
