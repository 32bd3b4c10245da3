"""Sync of a large repo through the product's route against git's own way of carrying local edits, preview
against the sync, and the cell-level notebook merge against nbdime's own ``merge_notebooks``.

Method: the Studio-like server (`benchmarks.studio_like`) has a ~70 MB, 3,000-file repo of incompressible text
(100 files in smoke mode) in its catalog, served by the world's HTTPS git server and cloned by the product
(`POST clone`); the user's clone then gets 50 edited files (10 of them also changed upstream, in other lines),
is set aside (``cp -a``), and upstream gets 200 changed files (50 in smoke mode). Each round puts a fresh copy
of that clone in place and brings upstream in both ways: the product's ``POST repos/{id}/sync`` followed
through its event stream ``GET jobs/{id}/events`` as the panel follows it (fetch over HTTPS, plan, undo
record, apply), and the baseline ``git fetch; git stash; git merge --ff-only origin/main; git stash pop`` on
another copy (fetch included on both sides). Rounds alternate which side goes first (ABBA) after one
unmeasured warm-up; median of 3 (1 in smoke mode). Budgets: sync <= 1.3x the baseline; preview (``POST sync
{"preview": true}`` on another copy) <= 0.5x the sync.
Event-loop stall: during every measured sync and every measured baseline, a probe process of its own asks the
server's ``GET api/status`` 5 ms apart; the worst answer during the product's syncs (budget 25 ms) against the
worst during the baselines, where the server has nothing to do (the plain-git ticker baseline, same run).
Notebook (a library against a library, in this process): a 500-cell, ~10 MB notebook (outputs included);
"mine" edits 20 cells' sources, "upstream" edits 20 others and re-runs 50 cells' outputs. Ours:
``studio_collab.git.notebooks.merge_notebooks`` on the three files' bytes (parse, merge, conflict pass,
validate, write). Baseline: nbformat ``reads`` x3 + nbdime ``merge_notebooks`` with the same strategies
(use-local, transients ignored) + nbformat ``writes``. Budget 1.2x.
"""

from __future__ import annotations

import base64
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from .bench_git import Probe, follow_job, plain_env, repo_id, stall_note
from .framework import Figure, limit_figure, median, ratio_figure
from .studio_like import StudioLike

ENV_IDENTITY = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "b@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "b@example.com",
}
REPO = "syncbig"


def _git(cwd: Path, *args: str, ca: str = "") -> str:
    env = plain_env(ca) if ca else plain_env("")
    env.update(ENV_IDENTITY)
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def _lines(rng: random.Random) -> str:
    return "\n".join(base64.b64encode(rng.randbytes(300)).decode() for _ in range(58)) + "\n"  # ~23 KB a file


def _prepare(studio: StudioLike, server, base: Path, files: int) -> tuple[Path, str]:
    """The user's clone (made by the product), edited and set aside; upstream then 200 files ahead."""
    rng = random.Random(7)
    factory = studio.world.repos
    names = [f"data/{i // 100:02d}/part-{i:04d}.txt" for i in range(files)]
    if not factory.bare_path(REPO).exists():
        factory.create(REPO, template="library", commits=1)
    factory.commit(REPO, {name: _lines(rng) for name in names}, "initial data")
    url = studio.repo_url(REPO)
    repo = repo_id(server, url)
    session = requests.Session()
    answer = session.post(server.api(f"repos/{repo}/clone"), headers=server.headers, json={}, timeout=60)
    answer.raise_for_status()
    if follow_job(server, answer.json()["job"], session)["state"] != "succeeded":
        raise RuntimeError("the product could not clone the sync repo")
    target = server.root_dir / REPO
    upstream_changed = names[: min(200, len(names) // 2)]
    for name in names[-40:] + upstream_changed[:10]:  # the user appends at the end: no overlap with upstream
        with (target / name).open("a") as handle:
            handle.write("my local line\n")
    prepared = base / "prepared"
    subprocess.run(["cp", "-a", str(target), str(prepared)], check=True)
    work = factory.work_path(REPO)
    factory.commit(
        REPO,
        {name: "upstream edit\n" + (work / name).read_text().split("\n", 1)[1] for name in upstream_changed},
        "upstream changes",
    )
    return prepared, repo


def _copy(prepared: Path, target: Path) -> Path:
    """A copy of the prepared clone whose index stat data is fresh, as in a working copy that git status has
    looked at (a copy changes every file's ctime and inode; neither side should pay to re-hash them all)."""
    if target.exists():
        shutil.rmtree(target)
    subprocess.run(["cp", "-a", str(prepared), str(target)], check=True)
    _git(target, "update-index", "-q", "--refresh")
    return target


def _ours(server, session, repo: str, preview: bool = False) -> float:
    began = time.perf_counter()
    answer = session.post(
        server.api(f"repos/{repo}/sync"), headers=server.headers, json={"preview": True} if preview else {}, timeout=60
    )
    answer.raise_for_status()
    job = follow_job(server, answer.json()["job"], session)
    seconds = time.perf_counter() - began
    if job["state"] != "succeeded":
        raise RuntimeError(f"sync failed: {job}")
    if not preview and not any(f.get("outcome") for f in job["result"].get("files", [])):
        raise RuntimeError(f"the sync reconciled no file: {str(job['result'])[:300]}")
    return seconds


def _baseline(repo: Path, ca: str) -> float:
    began = time.perf_counter()
    _git(repo, "fetch", "-q", "origin", ca=ca)
    _git(repo, "stash", "-q")
    _git(repo, "merge", "-q", "--ff-only", "origin/main")
    _git(repo, "stash", "pop", "-q")
    return time.perf_counter() - began


def _notebooks(cells: int) -> tuple[bytes, bytes, bytes]:
    import copy

    import nbformat

    rng = random.Random(3)
    book = nbformat.v4.new_notebook()
    for i in range(cells):
        cell = nbformat.v4.new_code_cell(f"# cell {i}\nvalue_{i} = {i} * 2\nprint(value_{i})")
        cell.outputs = [nbformat.v4.new_output("stream", text=base64.b64encode(rng.randbytes(15_000)).decode())]
        cell.execution_count = i + 1
        book.cells.append(cell)
    mine, theirs = copy.deepcopy(book), copy.deepcopy(book)
    for i in range(0, 40, 2):
        mine.cells[i].source += "\n# mine"
        theirs.cells[i + 1].source += "\n# theirs"
    for i in range(cells // 5, cells // 5 + cells // 10):
        theirs.cells[i].outputs = [nbformat.v4.new_output("stream", text="re-run\n")]
    return tuple(nbformat.writes(b).encode() for b in (book, mine, theirs))  # type: ignore[return-value]


def _merge_ours(base: bytes, mine: bytes, theirs: bytes) -> float:
    from studio_collab.git.notebooks import merge_notebooks

    began = time.perf_counter()
    merge_notebooks(base, mine, theirs, "upstream")
    return time.perf_counter() - began


def _merge_nbdime(base: bytes, mine: bytes, theirs: bytes) -> float:
    import nbformat
    from nbdime.merging import merge_notebooks

    from studio_collab.git.notebooks import _MERGE_ARGS

    began = time.perf_counter()
    books = [nbformat.reads(b.decode(), as_version=4) for b in (base, mine, theirs)]
    merged, _ = merge_notebooks(*books, _MERGE_ARGS)  # the same conflict strategy as ours
    nbformat.writes(merged)
    return time.perf_counter() - began


def run(smoke: bool) -> list[Figure]:
    repetitions = 1 if smoke else 3
    files = 100 if smoke else 3000
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as scratch:
        base = Path(scratch)
        with StudioLike.start(base) as studio:
            url = studio.repo_url(REPO)
            server = studio.lab(
                "sync", config={"repositories": [{"url": url, "target": REPO}], "git_fetch_interval_seconds": 0}
            )
            try:
                ca = str(studio.world.ca_bundle)
                prepared, repo = _prepare(studio, server, base, files)
                size_mb = (
                    sum(f.stat().st_size for f in prepared.rglob("*") if f.is_file() and ".git" not in f.parts) / 1e6
                )
                session = requests.Session()
                target = server.root_dir / REPO
                probe_url = f"{server.url}api/status"
                ours, plain, previews, stalls, idle_stalls = [], [], [], [], []
                for round_number in range(repetitions + 1):
                    for side in ("plain", "ours") if round_number % 2 else ("ours", "plain"):
                        copy = _copy(prepared, target if side == "ours" else base / "plain")
                        with Probe(probe_url, server.headers, enabled=bool(round_number)) as probe:
                            seconds = _baseline(copy, ca) if side == "plain" else _ours(server, session, repo)
                        if round_number:  # the first round warms both sides
                            (plain if side == "plain" else ours).append(seconds)
                            (idle_stalls if side == "plain" else stalls).extend(probe.latencies)
                    _copy(prepared, target)
                    seconds = _ours(server, session, repo, preview=True)
                    if round_number:
                        previews.append(seconds)
            finally:
                server.stop()
    notebooks = _notebooks(50 if smoke else 500)
    nb_mb = len(notebooks[0]) / 1e6
    _merge_ours(*notebooks), _merge_nbdime(*notebooks)  # warm-up (imports, caches)
    merge_ours, merge_nbdime = [], []
    for round_number in range(repetitions):
        for side in ("nbdime", "ours") if round_number % 2 else ("ours", "nbdime"):
            (merge_ours if side == "ours" else merge_nbdime).append(
                _merge_ours(*notebooks) if side == "ours" else _merge_nbdime(*notebooks)
            )
    note = (
        f"{files} files, {size_mb:.0f} MB, 50 local edits, {min(200, files // 2)} upstream files, fetch over HTTPS on "
        "both sides; "
        f"median of {repetitions}"
    )
    return [
        ratio_figure(
            "sync via POST sync vs git fetch; stash; merge --ff-only; stash pop",
            median(ours),
            median(plain),
            "s",
            1.3,
            note,
        ),
        ratio_figure("sync preview vs the sync itself", median(previews), median(ours), "s", 0.5, note),
        limit_figure(
            "longest event-loop stall during a sync",
            max(stalls),
            "ms",
            25,
            baseline=max(idle_stalls),
            note=stall_note(stalls, idle_stalls, "syncs"),
        ),
        ratio_figure(
            "notebook three-way merge vs nbdime merge_notebooks",
            median(merge_ours),
            median(merge_nbdime),
            "s",
            1.2,
            f"{nb_mb:.1f} MB, {50 if smoke else 500} cells; in-process, library vs library",
        ),
    ]


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps([f.__dict__ for f in run(smoke="--smoke" in sys.argv)], indent=2))
