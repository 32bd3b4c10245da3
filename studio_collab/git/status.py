"""Repo status (row G4), read in a worker thread: what is on disk and how it relates to upstream.

``updates_available`` compares with the remote-tracking branch as the last background fetch left it, so
reading status never touches the network and never waits for a clone or sync of another repo.
"""

from __future__ import annotations

from pathlib import Path

from .clone import target_state
from .command import GitRunner
from .repo_spec import RepoSpec, resolve_inside
from .worktree import Worktree


def read_status(runner: GitRunner, root: Path, spec: RepoSpec, timeout: float) -> dict:
    """``{"state": cloned|free|occupied, "status": {...} | None}``; usually two git calls."""
    state = target_state(runner, root, spec, timeout)
    if state != "cloned":
        return {"state": state, "status": None}
    worktree = Worktree(runner, resolve_inside(root, spec.target), timeout)
    status = worktree.status_summary()
    tracked = status.pop("upstream")
    branch = (
        spec.branch
        or (tracked.split("/", 1)[1] if tracked and tracked.startswith("origin/") else None)
        or worktree.default_remote_branch()
    )
    if branch and tracked != f"origin/{branch}":  # not what git tracks: count against the catalog's branch
        upstream = worktree.rev(f"refs/remotes/origin/{branch}")
        status["ahead"] = status["behind"] = 0
        if upstream and status["head"]:
            ahead, behind = worktree.out("rev-list", "--left-right", "--count", f"HEAD...{upstream}").split()
            status["ahead"], status["behind"] = int(ahead), int(behind)
    status["updates_available"] = status["behind"] > 0
    return {"state": state, "status": status}


def incoming_files(runner: GitRunner, root: Path, spec: RepoSpec, timeout: float) -> int:
    """How many files differ between the local branch and upstream as the last fetch left it (what a sync
    would bring in); no network."""
    worktree = Worktree(runner, resolve_inside(root, spec.target), timeout)
    branch = spec.branch or worktree.default_remote_branch()
    upstream = worktree.rev(f"refs/remotes/origin/{branch}") if branch else None
    if not upstream or not worktree.rev("HEAD"):
        return 0
    names = worktree.out("diff", "--name-only", "-z", f"HEAD...{upstream}", "--")
    return sum(1 for name in names.split("\0") if name)


def fetch_upstream(worktree: Worktree, branch: str | None, **run_options) -> None:
    """Refresh ``origin/<branch>`` only: no merge, no tags, nothing in the working tree changes."""
    branch = branch or worktree.default_remote_branch()
    if not branch:
        return
    worktree.run(
        "fetch",
        "--no-tags",
        "--no-recurse-submodules",
        "--quiet",
        "--",
        "origin",
        f"+refs/heads/{branch}:refs/remotes/origin/{branch}",
        background=True,
        **run_options,
    )
