"""The one way studio-collab runs blocking work: every disk read, git process and AWS call leaves the event loop
through :class:`Executor`, and :func:`settled` is the one cancel-safe wait.

One object, three bounded lanes, because one shared width would let one kind of work starve the others:

- ``aws``: network waits on AWS. Its width is the ``aws_max_workers`` option, which also sizes botocore's
  connection pool and so bounds how hard this server hits the account's rate limits; a slow or throttled AWS must
  not hold the threads a git status read needs.
- ``transfer``: long work (git clone, sync, fetch, undo, restore; copies into and out of the share folder). Four at
  a time: each is a git process or a file copy bound by the disk or the remote.
- ``quick``: short reads and renders (git status for ``GET repos``, share file checks, cost's disk reads and
  answer rendering, doctor's HTTP check). Kept apart so a running clone never delays ``GET repos``.

Nothing else in studio-collab makes a thread pool or calls ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

AWS = "aws"
TRANSFER = "transfer"
QUICK = "quick"


class Executor:
    def __init__(self, aws_workers: int = 16, transfer_workers: int = 4, quick_workers: int = 4):
        self._pools = {
            AWS: ThreadPoolExecutor(max_workers=aws_workers, thread_name_prefix="studio-collab-aws"),
            TRANSFER: ThreadPoolExecutor(max_workers=transfer_workers, thread_name_prefix="studio-collab-transfer"),
            QUICK: ThreadPoolExecutor(max_workers=quick_workers, thread_name_prefix="studio-collab-quick"),
        }

    def start_workers(self) -> None:
        """Start every lane's threads now (the server calls this once, before its loop runs). A pool otherwise
        starts a thread inside ``submit`` when it has no idle one, and ``Thread.start`` waits until the OS has run
        the new thread: called from the event loop, that wait is a stall as long as the machine's scheduling delay
        (12.7 ms measured on a 2-core machine with a clone running; tens of ms under load). Each pool gets as many
        tasks as it has workers, all waiting on one barrier, so no worker turns idle before the last is started."""
        for pool in self._pools.values():
            width = pool._max_workers
            barrier = threading.Barrier(width)
            for _ in range(width):
                # a broken barrier (the timeout, or close() meanwhile) only ends that warm-up task
                pool.submit(_wait_quietly, barrier)

    def widths(self) -> dict[str, int]:
        return {lane: pool._max_workers for lane, pool in self._pools.items()}

    async def run(self, lane: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in a worker of ``lane``. A cancelled caller stops waiting at once (the thread
        finishes on its own): right for reads. Work that must be over before its caller moves on uses
        :meth:`run_settled`."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pools[lane], functools.partial(fn, *args, **kwargs))

    async def run_settled(self, lane: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Like :meth:`run`, but a cancelled caller waits until the thread has stopped (see :func:`settled`)."""
        return await settled(self.run(lane, fn, *args, **kwargs))

    def submit(self, lane: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future:
        """For work already in a worker thread that fans out (sync's text merges): a concurrent Future."""
        return self._pools[lane].submit(fn, *args, **kwargs)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)


def _wait_quietly(barrier: threading.Barrier) -> None:
    try:
        barrier.wait(timeout=30)
    except threading.BrokenBarrierError:
        pass


async def settled(work: Awaitable[T]) -> T:
    """Await work that runs in a thread. If the caller is cancelled, wait until the thread has stopped (a job's
    cancel flag stops it at its next chunk or kills its git process) before re-raising, so that tidying up (a
    retry, removing a temporary file, releasing a repo lock) never races work still running."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        if not task.cancelled():
            # How the work ended (JobCancelled from its next chunk, usually) is the caller's "cancelled" already;
            # reading it here keeps asyncio from logging "Task exception was never retrieved".
            task.exception()
        raise
