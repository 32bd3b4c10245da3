"""Helpers shared by the tests: polling a condition with a deadline (never a fixed sleep), following a job, reading
an error answer. One copy here, imported wherever a test needs it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

JOB_RUNNING = ("queued", "running")  # the states of a job that has not ended yet


def wait_until(condition: Callable[[], Any], timeout: float = 30, interval: float = 0.1, what: str = "") -> Any:
    """Call ``condition`` until it returns something truthy, and return that; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(interval)


async def until(condition: Callable[[], Any], timeout: float = 30, interval: float = 0.1, what: str = "") -> Any:
    """The event-loop twin of :func:`wait_until`: ``condition`` may be a plain function or return an awaitable."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        await asyncio.sleep(interval)


async def wait_job(jp_fetch, job_id: str, timeout: float = 90, **fetch_kwargs) -> dict:
    """Follow ``GET jobs/<id>`` until the job has ended; ``fetch_kwargs`` (e.g. a viewer's headers) go to jp_fetch."""

    async def ended():
        response = await jp_fetch("studio-collab", "jobs", job_id, **fetch_kwargs)
        job = json.loads(response.body)["job"]
        return job if job["state"] not in JOB_RUNNING else None

    return await until(ended, timeout, what=f"job {job_id} to end")


async def error_of(request, raw: bool = False) -> tuple[int, Any]:
    """(status, JSON body) of a request that must fail, e.g. ``await error_of(jp_fetch("studio-collab", "repos"))``;
    ``raw``: the body's bytes (an HTML page)."""
    with pytest.raises(HTTPClientError) as err:
        await request
    body = err.value.response.body or b""
    return err.value.code, body if raw else json.loads(body or b"{}")
