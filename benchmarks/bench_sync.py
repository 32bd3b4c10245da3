"""Sync of a large repo against git's own way of carrying local edits, preview against the sync, and the
cell-level notebook merge against nbdime's own ``merge_notebooks``.

Method: a ~70 MB, 3,000-file repo (300 files in smoke mode) of incompressible text in a bare upstream on local
disk; the user's clone has 50 edited files (10 of them also changed upstream, in other lines) and upstream has
200 changed files. Each round copies that prepared clone twice (``cp -a``) and brings upstream in both ways:
the product's ``RepoSync.run()`` (fetch, plan, undo record, apply), and the baseline ``git stash; git merge
--ff-only origin/main; git stash pop`` on a clone whose remote-tracking branch is already fetched. Rounds
alternate which side goes first (ABBA) after one unmeasured warm-up; median of 3 (1 in smoke mode).
Budgets: sync <= 1.3x the baseline; preview (``RepoSync(preview=True)`` on another copy) <= 0.5x the sync.
The event loop runs a 5 ms ticker while a sync runs in the executor, as the server does: worst lateness <= 25 ms
(baseline: the same ticker while the stash/merge/pop runs).
Notebook: a 500-cell, ~10 MB notebook (outputs included); "mine" edits 20 cells' sources, "upstream" edits 20
others and re-runs 50 cells' outputs. Ours: ``studio_collab.git.notebooks.merge_notebooks`` on the three files'
bytes (parse, merge, conflict pass, validate, write). Baseline: nbformat ``reads`` x3 + nbdime
``merge_notebooks`` with the same strategies (use-local, transients ignored) + nbformat ``writes``. Budget 1.2x.
"""

from __future__ import annotations

import asyncio
import base64
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .framework import Figure, limit_figure, median, ratio_figure

ENV_IDENTITY = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "Bench",
                "GIT_COMMITTER_EMAIL": "b@example.com"}


def _git(cwd: Path, *args: str) -> str:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(ENV_IDENTITY)
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def _prepare(base: Path, files: int) -> Path:
    """The user's clone, edited, with upstream 200 files ahead (not yet fetched)."""
    rng = random.Random(7)
    bare, work, user = base / "upstream.git", base / "maintainer", base / "user"
    _git(base, "init", "-q", "--bare", "--initial-branch=main", str(bare))
    _git(base, "clone", "-q", str(bare), str(work))
    _git(work, "checkout", "-q", "-b", "main")
    for i in range(files):
        path = work / f"data/{i // 100:02d}/part-{i:04d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [base64.b64encode(rng.randbytes(300)).decode() for _ in range(58)]  # ~23 KB a file
        path.write_text("\n".join(lines) + "\n")
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", "initial")
    _git(work, "push", "-q", "origin", "main")
    _git(base, "clone", "-q", str(bare), str(user))
    names = sorted(p.relative_to(work).as_posix() for p in (work / "data").rglob("*.txt"))
    upstream_changed = names[: min(200, len(names) // 2)]
    local_edited = names[-40:] + upstream_changed[:10]
    for name in upstream_changed:  # upstream rewrites the first line
        path = work / name
        text = path.read_text().split("\n", 1)
        path.write_text("upstream edit\n" + text[1])
    _git(work, "commit", "-q", "-am", "upstream changes")
    _git(work, "push", "-q", "origin", "main")
    for name in local_edited:  # the user appends at the end: no overlap with upstream's lines
        with (user / name).open("a") as handle:
            handle.write("my local line\n")
    return user


def _copy(user: Path, target: Path) -> Path:
    """A copy of the prepared clone whose index stat data is fresh, as in a working copy that git status has
    looked at (a copy changes every file's ctime and inode; neither side should pay to re-hash them all)."""
    subprocess.run(["cp", "-a", str(user), str(target)], check=True)
    _git(target, "update-index", "-q", "--refresh")
    return target


def _ours(repo: Path, preview: bool = False) -> float:
    from studio_collab.git.command import GitRunner
    from studio_collab.git.sync import RepoSync
    from studio_collab.git.worktree import Worktree

    runner = GitRunner(allowed_protocols=("file",))
    _git(repo, "fetch", "-q", "origin", "+refs/heads/main:refs/remotes/origin/main")  # as the baseline: not timed
    began = time.perf_counter()
    RepoSync(Worktree(runner, repo, 600), "main", preview=preview).run()
    return time.perf_counter() - began


def _baseline(repo: Path) -> float:
    _git(repo, "fetch", "-q", "origin")  # not timed: the baseline gets its fetch for free
    began = time.perf_counter()
    _git(repo, "stash", "-q")
    _git(repo, "merge", "-q", "--ff-only", "origin/main")
    _git(repo, "stash", "pop", "-q")
    return time.perf_counter() - began


async def _stall_during(work, repo: Path) -> float:
    lateness: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            began = time.perf_counter()
            await asyncio.sleep(0.005)
            lateness.append(time.perf_counter() - began - 0.005)

    task = asyncio.create_task(ticker())
    await asyncio.get_running_loop().run_in_executor(None, work, repo)
    stop.set()
    await task
    return max(lateness) * 1000


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
    files = 300 if smoke else 3000
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        user = _prepare(base, files)
        size_mb = sum(f.stat().st_size for f in user.rglob("*") if f.is_file() and ".git" not in f.parts) / 1e6
        ours, plain, previews = [], [], []
        for round_number in range(repetitions + 1):
            for side in (("plain", "ours") if round_number % 2 else ("ours", "plain")):
                copy = _copy(user, base / f"{side}-{round_number}")
                seconds = _baseline(copy) if side == "plain" else _ours(copy)
                (plain if side == "plain" else ours).append((round_number, seconds))
                shutil.rmtree(copy)
            copy = _copy(user, base / f"preview-{round_number}")
            previews.append((round_number, _ours(copy, preview=True)))
            shutil.rmtree(copy)
        ours_s = median([s for r, s in ours if r])
        plain_s = median([s for r, s in plain if r])
        preview_s = median([s for r, s in previews if r])
        stall = asyncio.run(_stall_during(_ours, _copy(user, base / "stall")))
        idle_stall = asyncio.run(_stall_during(_baseline, _copy(user, base / "stall-baseline")))
    notebooks = _notebooks(50 if smoke else 500)
    nb_mb = len(notebooks[0]) / 1e6
    _merge_ours(*notebooks), _merge_nbdime(*notebooks)  # warm-up (imports, caches)
    merge_ours, merge_nbdime = [], []
    for round_number in range(repetitions):
        for side in (("nbdime", "ours") if round_number % 2 else ("ours", "nbdime")):
            (merge_ours if side == "ours" else merge_nbdime).append(
                _merge_ours(*notebooks) if side == "ours" else _merge_nbdime(*notebooks))
    note = f"{files} files, {size_mb:.0f} MB, 50 local edits, 200 upstream files; median of {repetitions}"
    return [
        ratio_figure("sync (carry edits, undo record) vs git stash; merge --ff-only; stash pop", ours_s, plain_s,
                     "s", 1.3, note),
        ratio_figure("sync preview vs the sync itself", preview_s, ours_s, "s", 0.5, note),
        limit_figure("longest event-loop stall during a sync", stall, "ms", 25, baseline=idle_stall,
                     note="sync in the executor, 5 ms ticker on the loop; baseline: the same ticker while "
                          "stash/merge/pop runs (this machine's own noise)"),
        ratio_figure("notebook three-way merge vs nbdime merge_notebooks", median(merge_ours), median(merge_nbdime),
                     "s", 1.2, f"{nb_mb:.1f} MB, {50 if smoke else 500} cells"),
    ]


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps([f.__dict__ for f in run(smoke="--smoke" in sys.argv)], indent=2))
