"""Clone of a ~70 MB, 3,000-file repo through the git feature, against plain `git clone` of the same URL.

Method: the local world's HTTPS git server (git http-backend behind TLS with its throwaway CA, in its own
process) serves a repo made by the world's repo factory ("big" template: 3,000 files of incompressible text,
~70 MB; 300 files in smoke mode). The product side is the real GitService in this process, on a running asyncio
loop: a clone job through the JobRegistry, git in a worker thread with progress parsing, temp folder and atomic
rename. The baseline is `git clone` of the same URL by a subprocess with the same CA. Rounds alternate which
side goes first (ABBA) after one unmeasured warm-up of each; median of 3 each (1 in smoke mode). Budget: 1.05x.
During every product clone a ticker coroutine sleeps 5 ms at a time and records how late it wakes: the worst
lateness is the longest event-loop stall (budget 25 ms); the same ticker during the plain clones, where the
loop has nothing to do, gives the machine's own noise as the baseline. In a last round, `list_repos()` (the
body of GET repos, re-reading the status of a second, cloned repo each time: no memo) is called every 10 ms for
the whole clone: p99 latency (budget 50 ms); its baseline is the p99 of 200 such calls before any clone.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .framework import Figure, limit_figure, median, percentile, ratio_figure


class _GitServerProcess:
    """The world's git server in a process of its own, so its Python threads never share a GIL with the code
    being measured (in one process they would slow the transfer and the event loop alike)."""

    def __init__(self, root: Path, state: Path):
        import json
        import sys

        self.process = subprocess.Popen([sys.executable, "-m", "studio_world.gitserver", "--root", str(root),
                                         "--state", str(state)], stdout=subprocess.PIPE, start_new_session=True)
        answer = json.loads(self.process.stdout.readline())
        self.base_url, self.ca_bundle = answer["base_url"], answer["ca_bundle"]

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}.git"

    def stop(self) -> None:
        import signal

        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=15)


def _world(base: Path, smoke: bool) -> _GitServerProcess:
    import base64
    import random

    from studio_world.repo_factory import RepoFactory

    factory = RepoFactory(base / "repos", base / "work")
    if smoke:  # 300 files of the same kind instead of 3,000
        rng = random.Random(0)
        factory.create("big", template="library", commits=1)
        factory.commit("big", {f"data/chunk-{i:04d}.txt": base64.b64encode(rng.randbytes(17_500)).decode()
                               for i in range(300)}, "Add generated data")
    else:
        factory.create("big", template="big", commits=1)
    factory.create("small", template="notebooks", commits=3)
    return _GitServerProcess(factory.root, base / "tls")


def _service(root: Path, urls: list[str], ca_bundle: str):
    from studio_collab.git.catalog import RepoCatalog
    from studio_collab.git.command import GitRunner
    from studio_collab.git.credentials import GitCredentials
    from studio_collab.git.repo_spec import load_config_catalog
    from studio_collab.git.service import GitService
    from studio_collab.jobs import JobRegistry
    from studio_collab.studio.aws import AwsClients, AwsSettings
    from studio_collab.studio.cache import TtlCache
    from studio_collab.studio.context import StudioContext
    from studio_collab.studio.service import StudioService

    aws, cache = AwsClients(AwsSettings()), TtlCache()
    studio = StudioService(StudioContext(False, "benchmark: outside Studio"), aws, cache)
    specs = load_config_catalog([{"url": u} for u in urls], allow_ssh=False)
    catalog = RepoCatalog(specs, studio, cache, 60.0)
    return GitService(catalog=catalog, runner=GitRunner(ca_bundle=ca_bundle), credentials=GitCredentials(aws, cache),
                      jobs=JobRegistry(), root=root, timeout=600, fetch_interval=0, auto_clone=False), specs


async def _ticker(stop: asyncio.Event, lateness: list[float]) -> None:
    while not stop.is_set():
        began = time.perf_counter()
        await asyncio.sleep(0.005)
        lateness.append(time.perf_counter() - began - 0.005)


async def _timed_list_repos(service) -> float:
    service.forget_status()  # every call really reads the other repo's status in a worker thread
    asked = time.perf_counter()
    await service.list_repos()
    return (time.perf_counter() - asked) * 1000


async def _product_clone(service, spec, poll_status: bool) -> tuple[float, float, list[float]]:
    stop, lateness, latencies = asyncio.Event(), [], []
    ticker = asyncio.create_task(_ticker(stop, lateness))
    began = time.perf_counter()
    job = await service.start_clone(spec.id)
    waiter = asyncio.create_task(service.jobs.wait(job.id))
    while poll_status and not waiter.done():
        latencies.append(await _timed_list_repos(service))
        await asyncio.sleep(0.01)
    done = await waiter
    seconds = time.perf_counter() - began
    stop.set()
    await ticker
    if done.state != "succeeded":
        raise RuntimeError(f"clone failed: {done.error}")
    return seconds, max(lateness) * 1000, latencies


def _plain_clone(url: str, target: Path, ca_bundle: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_SSL_CAINFO=ca_bundle, GIT_TERMINAL_PROMPT="0")
    began = time.perf_counter()
    subprocess.run(["git", "clone", "-q", "--", url, str(target)], env=env, check=True, timeout=600)
    return time.perf_counter() - began


def run(smoke: bool) -> list[Figure]:
    repetitions = 1 if smoke else 3
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        server = _world(base, smoke)
        try:
            return asyncio.run(_measure(base, server, repetitions))
        finally:
            server.stop()


async def _measure(base: Path, server, repetitions: int) -> list[Figure]:
    ca = str(server.ca_bundle)
    root = base / "root"
    root.mkdir()
    big, small = server.url("big"), server.url("small")
    service, specs = _service(root, [big, small], ca)
    big_spec, small_spec = specs
    await service.jobs.wait((await service.start_clone(small_spec.id)).id)
    idle_latencies = [await _timed_list_repos(service) for _ in range(20 if repetitions == 1 else 200)]
    ours, plain, stalls, idle_stalls = [], [], [], []
    loop = asyncio.get_running_loop()
    for round_number in range(repetitions + 1):
        # ABBA: who goes first alternates, so the disk's write-back of one clone weighs on both sides alike
        for side in (("plain", "ours") if round_number % 2 else ("ours", "plain")):
            if side == "plain":  # the ticker runs here too: what this machine's load alone does to the loop
                target = base / f"plain-{round_number}"
                stop, lateness = asyncio.Event(), []
                ticker = asyncio.create_task(_ticker(stop, lateness))
                plain_seconds = await loop.run_in_executor(None, _plain_clone, big, target, ca)
                stop.set()
                await ticker
                idle_stalls.append(max(lateness) * 1000)
                shutil.rmtree(target)
            else:
                seconds, stall, _ = await _product_clone(service, big_spec, poll_status=False)
                shutil.rmtree(root / big_spec.target)
        if round_number:  # the first round warms caches for both
            ours.append(seconds)
            plain.append(plain_seconds)
            stalls.append(stall)
    _, stall, latencies = await _product_clone(service, big_spec, poll_status=True)
    stalls.append(stall)
    await service.stop()
    size_mb = sum(f.stat().st_size for f in (root / big_spec.target).rglob("*") if f.is_file()) / 1e6
    note = f"{size_mb:.0f} MB on disk, median of {repetitions}"
    return [
        ratio_figure("git clone via studio-collab vs plain git clone", median(ours), median(plain), "s", 1.05, note),
        limit_figure("longest event-loop stall during a clone", max(stalls), "ms", 25, baseline=max(idle_stalls),
                     note="baseline: the same ticker while plain git clone runs (this machine's own noise)"),
        limit_figure("GET repos (another repo's status) during a clone, p99", percentile(latencies, 99), "ms", 50,
                     baseline=percentile(idle_latencies, 99),
                     note=f"{len(latencies)} calls, p50 {percentile(latencies, 50):.1f} ms; baseline: p99 on the "
                          "idle service"),
    ]


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps([f.__dict__ for f in run(smoke="--smoke" in sys.argv)], indent=2))
