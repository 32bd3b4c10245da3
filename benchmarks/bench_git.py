"""Clone of a ~70 MB, 3,000-file repo through the product's routes, against plain `git clone` of the same URL.

Method: the Studio-like server (`benchmarks.studio_like`: jupyter lab at /jupyterlab/default in a Studio space,
the world's AWS endpoint with AWS's latency) has the repo in its catalog (an admin's `repositories` setting);
the world's HTTPS git server (its own process) serves it, made by the world's repo factory ("big" template:
3,000 files of incompressible text, ~70 MB; 100 files, ~2 MB, in smoke mode).
- clone: `POST repos/{id}/clone`, then the job followed through its event stream `GET jobs/{id}/events` until
  it succeeds (what the panel does; the server pushes the end at once). Baseline: `git clone` of the same URL
  by a subprocess with the same CA. Rounds alternate who goes first (ABBA) after one unmeasured warm-up of
  each; the clone is removed between rounds; median of 3 each (1 in smoke mode). Budget: 1.05x.
- event-loop stall: during every measured clone, a probe process of its own asks the same server's
  `GET api/status` (Jupyter's own handler: nothing to do but answer, so its latency is the server loop's
  availability) back to back with a 5 ms pause; the worst answer time is the longest stall the server's users
  saw (budget 25 ms). Baseline, in the same run: the same probe during the plain `git clone`s beside the idle
  server (this machine's own noise). Both sides: the same number of clones, the same probe.
- GET repos during a clone: in a last round, `GET repos` every 10 ms for the whole clone: p99 latency (budget
  50 ms); baseline: p99 of 200 calls on the idle server before any clone (both through HTTP, both parse JSON).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from .framework import Figure, limit_figure, median, percentile, ratio_figure
from .studio_like import StudioLike

_PROBE_SCRIPT = r"""
import json, sys, threading, time
import requests
spec = json.loads(sys.stdin.readline())
latencies, stop, failure = [], threading.Event(), []

def probe():
    session = requests.Session()
    try:
        while not stop.is_set():
            began = time.perf_counter()
            answer = session.get(spec["url"], headers=spec["headers"], timeout=60)
            latencies.append((time.perf_counter() - began) * 1000)
            if answer.status_code != 200:
                raise RuntimeError(f"probe answered {answer.status_code}")
            if len(latencies) == 1:
                print("ready", flush=True)
            time.sleep(spec["pause"])
    except Exception as err:
        failure.append(repr(err))
        print("ready", flush=True)

thread = threading.Thread(target=probe, daemon=True)
thread.start()
sys.stdin.read()  # until the benchmark closes our stdin
stop.set()
thread.join(60)
print(json.dumps({"latencies": latencies, "failure": failure}), flush=True)
"""


class Probe:
    """Asks `url` back to back (5 ms apart) from a process of its own and keeps each answer's time in ms.

    Its own process: a probe thread inside the benchmark would share the benchmark's GIL with whatever the
    benchmark does meanwhile (following the product's job through GET jobs/{id} every 20 ms, but nothing while
    plain git runs), and so would charge the benchmark's own Python to the product's stall. The token travels
    on stdin, never in argv."""

    def __init__(self, url: str, headers: dict, pause: float = 0.005, enabled: bool = True):
        self.url, self.headers, self.pause, self.enabled = url, headers, pause, enabled
        self.latencies: list[float] = []
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> Probe:
        if not self.enabled:  # an unmeasured warm-up round: no process to start
            return self
        self._process = subprocess.Popen(
            [sys.executable, "-c", _PROBE_SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self._process.stdin.write(json.dumps({"url": self.url, "headers": self.headers, "pause": self.pause}) + "\n")
        self._process.stdin.flush()
        if self._process.stdout.readline().strip() != "ready":  # the first answer came: the probe is asking
            self._kill()
            raise RuntimeError("the probe process did not start")
        return self

    def __exit__(self, *_) -> None:
        if self._process is None:
            return
        try:
            out, _ = self._process.communicate(timeout=120)  # closes stdin: the probe stops and reports
        except subprocess.TimeoutExpired:
            self._kill()
            raise
        report = json.loads(out.strip().splitlines()[-1])
        if report["failure"]:
            raise RuntimeError(f"probe failed: {report['failure'][0]}")
        self.latencies = report["latencies"]

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()


def stall_note(ours: list[float], plain: list[float], what: str) -> str:
    """The worst answer is the row; the p99 of every answer on both sides says whether it was one outlier."""
    return (
        f"worst GET api/status answer, 5 ms apart (a probe process of its own), during the product's {what}; "
        f"baseline: the same probe during plain git (this machine's own noise). p99 {percentile(ours, 99):.1f} ms "
        f"vs {percentile(plain, 99):.1f} ms; {len(ours)} and {len(plain)} answers"
    )


def make_big_repo(studio: StudioLike, name: str, smoke: bool, smoke_files: int = 300) -> str:
    import base64
    import random

    factory = studio.world.repos
    if not factory.bare_path(name).exists():
        if smoke:  # ``smoke_files`` files of the same kind instead of 3,000
            rng = random.Random(0)
            factory.create(name, template="library", commits=1)
            factory.commit(
                name,
                {
                    f"data/chunk-{i:04d}.txt": base64.b64encode(rng.randbytes(17_500)).decode()
                    for i in range(smoke_files)
                },
                "Add generated data",
            )
        else:
            factory.create(name, template="big", commits=1)
    return studio.repo_url(name)


def repo_id(server, url: str) -> str:
    repos = requests.get(server.api("repos"), headers=server.headers, timeout=120).json()["repos"]
    return next(r["id"] for r in repos if r["url"] == url)


def plain_env(ca_bundle: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_SSL_CAINFO=ca_bundle, GIT_TERMINAL_PROMPT="0")
    return env


def _plain_clone(url: str, target: Path, ca_bundle: str) -> float:
    began = time.perf_counter()
    subprocess.run(["git", "clone", "-q", "--", url, str(target)], env=plain_env(ca_bundle), check=True, timeout=600)
    return time.perf_counter() - began


def follow_job(server, job: dict, session) -> dict:
    """Follow a job as the panel does, through its event stream (``GET jobs/{id}/events``: the server pushes each
    change, at most 4 progress updates a second, and the end at once), until it ends. Polling ``GET jobs/{id}``
    every few ms instead would load the server under test with requests no user makes."""
    if job["state"] not in ("queued", "running"):
        return job
    with session.get(
        server.api(f"jobs/{job['id']}/events"), headers=server.headers, stream=True, timeout=600
    ) as stream:
        stream.raise_for_status()
        for line in stream.iter_lines(chunk_size=None, decode_unicode=True):  # each line as it arrives
            if line and line.startswith("data: "):
                job = json.loads(line[len("data: ") :])
                if job["state"] not in ("queued", "running"):
                    return job
    raise RuntimeError(f"the event stream of job {job['id']} ended while it was {job['state']}")


def _product_clone(server, session, repo: str) -> float:
    began = time.perf_counter()
    answer = session.post(server.api(f"repos/{repo}/clone"), headers=server.headers, json={}, timeout=60)
    answer.raise_for_status()
    job = follow_job(server, answer.json()["job"], session)
    seconds = time.perf_counter() - began
    if job["state"] != "succeeded":
        raise RuntimeError(f"clone failed: {job}")
    return seconds


def _timed_repos(server, session) -> float:
    began = time.perf_counter()
    answer = session.get(server.api("repos"), headers=server.headers, timeout=60)
    answer.json()
    answer.raise_for_status()
    return (time.perf_counter() - began) * 1000


def run(smoke: bool) -> list[Figure]:
    repetitions = 1 if smoke else 3
    with tempfile.TemporaryDirectory(prefix="bench-git-") as scratch:
        base = Path(scratch)
        with StudioLike.start(base) as studio:
            # in smoke mode a repo of its own name: bench_provenance's "big" (300 files) lives in the same world
            url = make_big_repo(studio, "big-smoke" if smoke else "big", smoke, smoke_files=100)
            ca = str(studio.world.ca_bundle)
            server = studio.lab(
                "git", config={"repositories": [{"url": url, "target": "big"}], "git_fetch_interval_seconds": 0}
            )
            try:
                return _measure(server, url, ca, base, repetitions)
            finally:
                server.stop()


def _measure(server, url: str, ca: str, base: Path, repetitions: int) -> list[Figure]:
    session = requests.Session()
    repo = repo_id(server, url)
    target = server.root_dir / "big"
    probe_url = f"{server.url}api/status"
    idle_latencies = [_timed_repos(server, session) for _ in range(20 if repetitions == 1 else 200)]
    ours, plain, stalls, idle_stalls = [], [], [], []
    for round_number in range(repetitions + 1):
        # ABBA: who goes first alternates, so the disk's write-back of one clone weighs on both sides alike
        for side in ("plain", "ours") if round_number % 2 else ("ours", "plain"):
            with Probe(probe_url, server.headers, enabled=bool(round_number)) as probe:
                if side == "plain":
                    seconds = _plain_clone(url, base / f"plain-{round_number}", ca)
                else:
                    seconds = _product_clone(server, session, repo)
            if side == "plain":
                shutil.rmtree(base / f"plain-{round_number}")
            else:
                shutil.rmtree(target)
            if round_number:  # the first round warms caches for both
                (ours if side == "ours" else plain).append(seconds)
                (stalls if side == "ours" else idle_stalls).append(probe.latencies)
    latencies: list[float] = []
    stop = threading.Event()

    def poll_repos() -> None:
        poller = requests.Session()
        while not stop.is_set():
            latencies.append(_timed_repos(server, poller))
            time.sleep(0.01)

    poller = threading.Thread(target=poll_repos, daemon=True)
    poller.start()
    _product_clone(server, session, repo)  # no stall probe here: this round adds GET repos every 10 ms
    stop.set()
    poller.join(60)
    size_mb = sum(f.stat().st_size for f in target.rglob("*") if f.is_file()) / 1e6
    ours_answers, plain_answers = sum(stalls, []), sum(idle_stalls, [])
    note = f"{size_mb:.0f} MB on disk, POST clone + GET jobs/{{id}}/events until done; median of {repetitions}"
    return [
        ratio_figure("git clone via studio-collab vs plain git clone", median(ours), median(plain), "s", 1.05, note),
        limit_figure(
            "longest event-loop stall during a clone",
            max(ours_answers),
            "ms",
            25,
            baseline=max(plain_answers),
            note=stall_note(ours_answers, plain_answers, f"{repetitions} clones (as many plain ones)"),
        ),
        limit_figure(
            "GET repos during a clone, p99",
            percentile(latencies, 99),
            "ms",
            50,
            baseline=percentile(idle_latencies, 99),
            note=f"{len(latencies)} calls, p50 {percentile(latencies, 50):.1f} ms; baseline: p99 on the idle server",
        ),
    ]


if __name__ == "__main__":
    print(json.dumps([f.__dict__ for f in run(smoke="--smoke" in sys.argv)], indent=2))
