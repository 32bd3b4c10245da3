"""Issue #18, the event-loop stall: a thread pool starts a worker inside ``submit`` when none is idle, and
``Thread.start`` blocks until the OS has run the new thread. From the event loop that is a stall as long as the
machine's scheduling delay (seen in the Studio-like benchmark: 12.7 ms on a 2-core machine during a clone, stack
``Thread.start < ThreadPoolExecutor._adjust_thread_count < run_in_executor < Executor.run < TtlCache._load <
GitService._read_status``). The server starts every worker before its loop runs; judged by the threads the
interpreter itself lists, not by the executor's own bookkeeping."""

from __future__ import annotations

import asyncio
import threading

from studio_collab.studio.executor import AWS, QUICK, TRANSFER, Executor

PREFIXES = {AWS: "studio-collab-aws", TRANSFER: "studio-collab-transfer", QUICK: "studio-collab-quick"}


def lane_threads(executor: Executor) -> dict[str, set[threading.Thread]]:
    """The live threads of ``executor``'s pools, by lane (its pools' own thread sets, cross-checked by name)."""
    alive = set(threading.enumerate())
    return {
        lane: {t for t in pool._threads if t in alive and t.name.startswith(PREFIXES[lane])}
        for lane, pool in executor._pools.items()
    }


async def test_after_start_workers_work_from_the_loop_starts_no_thread():
    executor = Executor(aws_workers=5, transfer_workers=3, quick_workers=2)
    try:
        executor.start_workers()
        started = lane_threads(executor)
        assert {lane: len(threads) for lane, threads in started.items()} == executor.widths()
        before = set(threading.enumerate())
        # as many concurrent calls as each lane is wide, each held until all are in: every worker is busy at once
        for lane, width in executor.widths().items():
            barrier = threading.Barrier(width)
            names = await asyncio.gather(
                *(
                    executor.run(lane, lambda b=barrier: (b.wait(timeout=10), threading.current_thread())[1])
                    for _ in range(width)
                )
            )
            assert set(names) == started[lane]
        assert set(threading.enumerate()) - before == set()  # no thread was started by a call from the loop
    finally:
        executor.close()


async def test_the_server_starts_every_worker_before_its_loop_runs(jp_serverapp):
    app = next(iter(jp_serverapp.extension_manager.extension_apps["studio_collab"]))
    executor = app.core.executor
    assert {lane: len(threads) for lane, threads in lane_threads(executor).items()} == executor.widths()
