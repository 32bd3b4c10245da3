"""GET/DELETE jobs/{id}, and jobs/{id}/events: the job's progress as server-sent events; each only for the
job's owner (anyone else: 404, as for an unknown id)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.iostream import StreamClosedError

from ..handler import StudioCollabHandler
from .registry import JobRegistry

if TYPE_CHECKING:
    from ..core import Core

JOB_ID = r"(?P<job_id>[0-9a-f]{16})"


class _JobsHandler(StudioCollabHandler):
    auth_resource = "studio_collab:jobs"

    def initialize(self, name: str | None = None, *, jobs: JobRegistry) -> None:
        super().initialize(name)
        self.jobs = jobs


class JobHandler(_JobsHandler):
    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        self.reply({"job": self.jobs.get_for(job_id, (await self.viewer()).name).to_json()})

    @web.authenticated
    @authorized
    async def delete(self, job_id: str) -> None:
        self.reply({"job": self.jobs.cancel_for(job_id, await self.acting_user()).to_json()})


class JobEventsHandler(_JobsHandler):
    """Streams the job as `text/event-stream` until it ends; a reloaded page just reconnects."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        job = self.jobs.get_for(job_id, (await self.viewer()).name)
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        version = -1
        try:
            while True:
                job = await self.jobs.wait_for_change(job_id, version, timeout=15)
                if job.version != version:
                    version = job.version
                    self.write(f"event: job\ndata: {json.dumps(job.to_json())}\n\n")
                else:
                    self.write(": keep-alive\n\n")  # keeps proxies from closing an idle stream
                await self.flush()
                if not job.active:
                    break
        except StreamClosedError:
            return
        self.finish()


def route_handlers(core: Core) -> list[tuple]:
    kwargs = {"jobs": core.jobs}
    return [
        (rf"jobs/{JOB_ID}", JobHandler, kwargs),
        (rf"jobs/{JOB_ID}/events", JobEventsHandler, kwargs),
    ]
