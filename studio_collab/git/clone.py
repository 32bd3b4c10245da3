"""Atomic clone (rows G2, G6): into a hidden sibling folder, renamed into place only when complete.

A failure, a cancel or a timeout removes the temporary folder; a killed server leaves one behind under a
name that :func:`sweep_leftovers` recognises at the next start. The target itself is never half-written:
it either does not exist, or is a finished clone.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Callable

from ..errors import StudioCollabError
from ..jobs import JobCancelled
from .command import GitRunner, Redactor
from .progress import progress_parser
from .repo_spec import RepoSpec, normalize_url, resolve_inside
from .worktree import SYNCED_REF, Worktree

log = logging.getLogger(__name__)

TEMP_MARK = ".studio-collab-clone-"
Report = Callable[[float, str], None]


def target_state(runner: GitRunner, root: Path, spec: RepoSpec, timeout: float) -> str:
    """``cloned`` (this repo is there), ``free`` (absent or an empty folder) or ``occupied``."""
    target = resolve_inside(root, spec.target)
    if not target.exists() and not target.is_symlink():
        return "free"
    if target.is_dir() and not any(target.iterdir()):
        return "free"
    # a .git of its own makes the folder a repo root (not a subfolder of some enclosing repo)
    if target.is_dir() and (target / ".git").exists():
        origin = Worktree(runner, target, timeout).origin_url()
        if origin and normalize_url(origin) == spec.normalized_url:
            return "cloned"
    return "occupied"


def occupied_error(spec: RepoSpec) -> StudioCollabError:
    return StudioCollabError("target_occupied", f"The folder '{spec.target}' already holds something that is not "
                             f"{spec.name}. Rename or move that folder, then clone again.", 409)


def clone_repo(runner: GitRunner, root: Path, spec: RepoSpec, *, timeout: float, env: dict | None = None,
               config: tuple[str, ...] = (), redact: Redactor | None = None, cancel: threading.Event | None = None,
               report: Report | None = None) -> dict:
    """Clone ``spec`` into its target under ``root``. Runs in a worker thread."""
    from git import Git, Repo  # lazy: GitPython's guards, applied to exactly what we pass to git

    report = report or (lambda fraction, text: None)
    target = resolve_inside(root, spec.target)
    state = target_state(runner, root, spec, timeout)
    if state == "cloned":
        raise StudioCollabError("already_cloned", f"{spec.name} is already cloned in '{spec.target}'. Use Sync to "
                                "update it.", 409)
    if state == "occupied":
        raise occupied_error(spec)
    options = ["--progress"]
    if spec.branch:
        options += ["--branch", spec.branch]
    if spec.depth:
        options += ["--depth", str(spec.depth)]
    Git.check_unsafe_options(options=options, unsafe_options=Repo.unsafe_git_clone_options)
    Git.check_unsafe_protocols(spec.url)

    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".{target.name}{TEMP_MARK}{secrets.token_hex(4)}"
    report(0.0, "Starting clone")
    try:
        # -c options before the verb are not written into the new repo's config; hooks never run here
        runner.run(["clone", *options, "--", spec.url, str(temp)], cwd=target.parent, timeout=timeout, env=env,
                   config=("core.hooksPath=/dev/null", *config), cancel=cancel, redact=redact,
                   on_stderr_line=progress_parser(report, 0.0, 0.99))
        if cancel is not None and cancel.is_set():
            raise JobCancelled()
        worktree = Worktree(runner, temp, timeout)
        head = worktree.rev("HEAD")
        if head:
            worktree.run("update-ref", SYNCED_REF, head)
        _move_into_place(temp, target, spec)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    report(1.0, "Cloned")
    branch = Worktree(runner, target, timeout).current_branch()
    return {"target": spec.target, "head": (head or "")[:12], "branch": branch}


def _move_into_place(temp: Path, target: Path, spec: RepoSpec) -> None:
    # rename(2) onto an empty directory replaces it atomically; onto anything else it fails, and then the
    # folder someone created meanwhile is left alone.
    try:
        os.rename(temp, target)
    except OSError as err:
        if err.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise occupied_error(spec) from None
        raise


def backup_name(target: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = target.with_name(f"{target.name}.backup-{stamp}")
    n = 2
    while candidate.exists():
        candidate = target.with_name(f"{target.name}.backup-{stamp}-{n}")
        n += 1
    return candidate


def sweep_leftovers(parent: Path, older_than: float) -> list[Path]:
    """Remove temporary clone folders a killed server left behind (only ones older than any live clone)."""
    removed = []
    cutoff = time.time() - older_than
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith(".") and TEMP_MARK in entry.name and entry.is_dir() and not entry.is_symlink():
            try:
                if entry.stat().st_mtime < cutoff:
                    shutil.rmtree(entry)
                    removed.append(entry)
            except OSError as err:
                log.warning("could not remove leftover clone %s: %s", entry, err)
    return removed
