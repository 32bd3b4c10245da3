"""Code provenance of runs: what the run-context provider adds to `mlflow.start_run`, and Restore against plain git.

Method: the Studio-like world (`benchmarks.studio_like`): its HTTPS git server (its own process) serves a
3,000-file repo (the repo factory's "big" template; 300 files in smoke mode), cloned with plain git under a server
root; one tracked file is edited and one untracked file added, so every run has a diff to record. The world's real
`mlflow server` (sqlite store) is the tracking server.

1. Provider overhead: one Python process in the clone, with studio-collab's provider registered through MLflow's
   entry point, times `mlflow.start_run()` alone (end_run and the artifact upload are outside the timing), with
   the provider on and off (`STUDIO_COLLAB_PROVENANCE=0`) in alternating rounds: 2 warm-ups, then 15 of each
   (1 warm-up and 1 of each in smoke mode). Figure: median(on) - median(off), in ms; budget 50 ms. The baseline column is median(off).
2. Restore: the Studio-like `jupyter lab` (/jupyterlab/default, a Studio space, AWS's latency profile) with the
   repo in its catalog and the clone at the catalog target,
   restores the last run (POST .../restore, then GET jobs/{id} every 10 ms until it ends: the time a user waits).
   Baseline: `git worktree add --detach` of the same commit from the same clone, then `git apply` of the same
   diff, by subprocesses. Alternating rounds after one warm-up each, median of 5 (1 in smoke mode); each round's
   folders are removed (`git worktree remove`) outside the timing. Budget: 1.2x.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from .bench_git import make_big_repo
from .framework import Figure, limit_figure, median, ratio_figure
from .studio_like import StudioLike

_TIMER = r"""
import json, os, sys, time
import mlflow
from studio_collab.provenance.recorder import wait_for_uploads

rounds, warmups = int(sys.argv[1]), int(sys.argv[2])
mlflow.set_experiment("bench-provenance")
on, off, last = [], [], None
for index in range(warmups + 2 * rounds):
    enabled = index % 2 == 0
    os.environ["STUDIO_COLLAB_PROVENANCE"] = "1" if enabled else "0"
    began = time.perf_counter()
    run = mlflow.start_run()
    seconds = time.perf_counter() - began
    # The recording lands while the run is open, as in a training script that runs longer than a git status.
    # (A run ended at once is found by the recorder's search only after its 30 s look among active runs.)
    wait_for_uploads()
    mlflow.end_run()
    if enabled:
        last = run.info.run_id
        assert "studio_collab.code.commit" in mlflow.get_run(last).data.tags, "the provider did not run"
    if index >= warmups:
        (on if enabled else off).append(seconds)
print(json.dumps({"on": on, "off": off, "run_id": last}))
"""


def run(smoke: bool) -> list[Figure]:
    from tests.experiments.provenance_kit import entry_point_path, user_env

    rounds, warmups, restores = (1, 1, 1) if smoke else (15, 2, 5)
    with tempfile.TemporaryDirectory(prefix="bench-provenance-") as scratch:
        base = Path(scratch)
        studio = StudioLike.start(base, with_mlflow=True)
        mlflow = studio.world.mlflow_server
        url, ca_bundle = make_big_repo(studio, "big", smoke), str(studio.world.ca_bundle)
        lab = None
        try:
            root = base / "provenance" / "root"
            root.mkdir(parents=True)
            clone = root / "big"
            git_env = {**os.environ, "GIT_SSL_CAINFO": ca_bundle, "GIT_TERMINAL_PROMPT": "0"}
            subprocess.run(["git", "clone", "-q", url, str(clone)], env=git_env, check=True)
            first = sorted(p for p in clone.rglob("*.txt") if ".git" not in p.parts)[0]
            first.write_text(first.read_text() + "an uncommitted line\n")
            (clone / "notes.md").write_text("# what I am trying\n")

            env = user_env(mlflow.url, entry_point_path(base / "entry-points"))
            timed = subprocess.run(
                [sys.executable, "-c", _TIMER, str(rounds), str(warmups)],
                cwd=clone,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            if timed.returncode != 0:
                raise RuntimeError(timed.stderr[-2000:])
            times = json.loads(timed.stdout.strip().splitlines()[-1])
            on_ms, off_ms = median(times["on"]) * 1000, median(times["off"]) * 1000

            lab = studio.lab(
                "provenance",
                config={
                    "mlflow_tracking_uri": mlflow.url,
                    "git_ca_bundle": ca_bundle,
                    "git_fetch_interval_seconds": 0,
                    "repositories": [{"url": url, "target": "big"}],
                },
            )
            mine, plain = _restore_rounds(lab, clone, mlflow.url, times["run_id"], restores)
        finally:
            if lab is not None:
                lab.stop()
            studio.stop()
    files = "300" if smoke else "3,000"
    return [
        limit_figure(
            f"provenance: added to mlflow.start_run ({files}-file repo, dirty)",
            on_ms - off_ms,
            "ms",
            50,
            baseline=off_ms,
            note="median start_run with the provider minus without, same process",
        ),
        ratio_figure(
            f"provenance: Restore of a run ({files} files + diff)",
            median(mine),
            median(plain),
            "s",
            1.2,
            note="POST restore until the job ends vs git worktree add + git apply",
        ),
    ]


def _restore_rounds(lab, clone: Path, tracking: str, run_id: str, rounds: int) -> tuple[list[float], list[float]]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking)
    tags = client.get_run(run_id).data.tags
    commit = tags["studio_collab.code.commit"]
    diff = Path(client.download_artifacts(run_id, "studio_collab/code.diff", str(clone.parent.parent))).read_bytes()
    patch = clone.parent.parent / "recorded.diff"
    patch.write_bytes(diff)
    session = requests.Session()
    mine, plain = [], []
    for index in range(rounds + 1):
        order = (_product, _git) if index % 2 == 0 else (_git, _product)
        for side in order:
            seconds, folder = side(lab, session, clone, run_id, commit, patch)
            if index:  # the first round warms both sides
                (mine if side is _product else plain).append(seconds)
            subprocess.run(
                ["git", "-C", str(clone), "worktree", "remove", "--force", str(folder)], check=True, capture_output=True
            )
    return mine, plain


def _product(lab, session, clone: Path, run_id: str, commit: str, patch: Path) -> tuple[float, Path]:
    began = time.perf_counter()
    answer = session.post(
        lab.api(f"experiments/mlflow/runs/{run_id}/restore"), json={}, headers=lab.headers, timeout=60
    )
    answer.raise_for_status()
    job = answer.json()["job"]
    while job["state"] in ("queued", "running"):
        time.sleep(0.01)
        job = session.get(lab.api(f"jobs/{job['id']}"), headers=lab.headers, timeout=60).json()["job"]
    seconds = time.perf_counter() - began
    if job["state"] != "succeeded" or job["result"]["from"] != "worktree":
        raise RuntimeError(f"restore did not succeed from the clone: {job}")
    return seconds, lab.root_dir / job["result"]["path"]


def _git(lab, session, clone: Path, run_id: str, commit: str, patch: Path) -> tuple[float, Path]:
    folder = clone.parent / f"plain-{time.monotonic_ns()}"
    began = time.perf_counter()
    subprocess.run(["git", "-C", str(clone), "worktree", "add", "-q", "--detach", str(folder), commit], check=True)
    subprocess.run(["git", "-C", str(folder), "apply", "--binary", str(patch)], check=True)
    return time.perf_counter() - began, folder
