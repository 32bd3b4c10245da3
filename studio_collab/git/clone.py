"""Atomic clone (rows G2, G6): into a hidden sibling folder, renamed into place only when complete.

A failure, a cancel or a timeout removes the temporary folder; a killed server leaves one behind under a
name that :func:`sweep_leftovers` recognises at the next start. The target itself is never half-written:
it either does not exist, or is a finished clone.

The temporary folder ``.<name>.studio-collab-clone-<random>`` holds ``owner.json`` (the job, the repo, and
the server process that runs the clone) and ``repo/``, the clone itself. The owner record lets the next
server tell at once that a leftover's server is gone (instead of waiting out the git timeout), and report
the job the restart interrupted as failed.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import StudioCollabError
from ..jobs import JobCancelled
from .command import GitRunner, Redactor
from .progress import progress_parser
from .repo_spec import RepoSpec, normalize_url, refuse_symlinks, resolve_inside
from .worktree import SYNCED_REF, Worktree

log = logging.getLogger(__name__)

TEMP_MARK = ".studio-collab-clone-"
OWNER_FILE = "owner.json"  # in the temporary folder: who runs this clone
WORK_DIR = "repo"  # in the temporary folder: the clone, renamed onto the target once complete
Report = Callable[[float, str], None]


def target_state(runner: GitRunner, root: Path, spec: RepoSpec, timeout: float) -> str:
    """``cloned`` (this repo is there), ``free`` (absent or an empty folder) or ``occupied``; a symlink on the
    way to the target is refused (409 ``is_symlink``), not followed to whatever it points at."""
    target = resolve_inside(root, spec.target)
    refuse_symlinks(root, spec.target)
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
    return StudioCollabError(
        "target_occupied",
        f"The folder '{spec.target}' already holds something that is not "
        f"{spec.name}. Rename or move that folder, then clone again.",
        409,
    )


def clone_repo(
    runner: GitRunner,
    root: Path,
    spec: RepoSpec,
    *,
    timeout: float,
    env: dict | None = None,
    config: tuple[str, ...] = (),
    redact: Redactor | None = None,
    cancel: threading.Event | None = None,
    report: Report | None = None,
    job_id: str | None = None,
) -> dict:
    """Clone ``spec`` into its target under ``root``. Runs in a worker thread. ``job_id``: the job this clone
    runs in, recorded so that a server restarted after a kill can report that job as failed."""
    from git import Git, Repo  # lazy: GitPython's guards, applied to exactly what we pass to git

    report = report or (lambda fraction, text: None)
    target = resolve_inside(root, spec.target)
    state = target_state(runner, root, spec, timeout)
    if state == "cloned":
        raise StudioCollabError(
            "already_cloned", f"{spec.name} is already cloned in '{spec.target}'. Use Sync to update it.", 409
        )
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
    work = temp / WORK_DIR
    report(0.0, "Starting clone")
    try:
        temp.mkdir(mode=0o700)
        _write_owner(temp, {"job_id": job_id, "repo_id": spec.id, "name": spec.name, "target": spec.target})
        # -c options before the verb are not written into the new repo's config; hooks never run here
        runner.run(
            ["clone", *options, "--", spec.url, str(work)],
            cwd=target.parent,
            timeout=timeout,
            env=env,
            config=("core.hooksPath=/dev/null", *config),
            cancel=cancel,
            redact=redact,
            on_stderr_line=progress_parser(report, 0.0, 0.99),
            background=True,
        )
        if cancel is not None and cancel.is_set():
            raise JobCancelled()
        worktree = Worktree(runner, work, timeout)
        head = worktree.rev("HEAD")
        if head:
            worktree.run("update-ref", SYNCED_REF, head)
        _move_into_place(work, target, spec)
    finally:
        # after a failure: the partial clone; after success: only the owner record is left in it
        shutil.rmtree(temp, ignore_errors=True)
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


@dataclass(frozen=True)
class Leftover:
    """A temporary clone folder whose clone can no longer finish."""

    path: Path
    owner: dict | None  # its owner record; None for a folder without a readable one

    @property
    def interrupted(self) -> dict | None:
        """The owner record of a clone that stopped before its copy was moved into place (the job to report
        as failed); None when the clone had finished (its target is a repo now), or nothing is known about it.
        (Whether ``repo/`` is still there says nothing: a git that lost its server may remove it on the way out.)"""
        if not self.owner or not isinstance(self.owner.get("job_id"), str):
            return None
        target = self.path.with_name(self.path.name[1:].split(TEMP_MARK, 1)[0])
        return None if (target / ".git").exists() else self.owner


def find_leftovers(parent: Path, older_than: float) -> list[Leftover]:
    """Temporary clone folders under ``parent`` that no live clone owns: the server process that ran the clone
    is gone (not running, or its pid now belongs to another process), or, when that cannot be told (a folder
    from another machine or without an owner record), the folder is older than ``older_than`` seconds (the git
    timeout: no clone runs longer)."""
    found = []
    cutoff = time.time() - older_than
    try:
        entries = list(parent.iterdir())
    except OSError:
        return found
    for entry in entries:
        if not (entry.name.startswith(".") and TEMP_MARK in entry.name and entry.is_dir() and not entry.is_symlink()):
            continue
        owner = _read_owner(entry)
        try:
            old = entry.stat().st_mtime < cutoff
        except OSError:
            continue
        if old or (owner is not None and _owner_alive(owner) is False):
            found.append(Leftover(entry, owner))
    return found


def remove_leftover(leftover: Leftover) -> bool:
    """Remove a leftover folder, first stopping any git process of its dead server still writing into it (git
    runs in a session of its own, so killing the server does not end it)."""
    _stop_git_inside(leftover.path)
    for attempt in range(3):
        try:
            shutil.rmtree(leftover.path)
            return True
        except FileNotFoundError:
            return True
        except OSError as err:
            if attempt == 2:
                log.warning("could not remove leftover clone %s: %s", leftover.path, err)
            time.sleep(0.2)
    return False


def sweep_leftovers(parent: Path, older_than: float) -> list[Path]:
    """Remove the temporary clone folders that killed servers left behind (see :func:`find_leftovers`)."""
    return [leftover.path for leftover in find_leftovers(parent, older_than) if remove_leftover(leftover)]


# --- who owns a temporary folder -------------------------------------------------------------------------
def _write_owner(temp: Path, fields: dict) -> None:
    pid = os.getpid()
    record = {
        **fields,
        "pid": pid,
        "process_start": _process_start(pid),
        "boot_id": _boot_id(),
        "host": socket.gethostname(),
        "created": time.time(),
    }
    (temp / OWNER_FILE).write_text(json.dumps(record), encoding="utf-8")


def _read_owner(temp: Path) -> dict | None:
    try:
        with open(temp / OWNER_FILE, encoding="utf-8") as handle:
            owner = json.loads(handle.read(8192))
    except (OSError, ValueError):
        return None
    return owner if isinstance(owner, dict) else None


def _owner_alive(owner: dict) -> bool | None:
    """Whether the server process that wrote ``owner`` still runs: True, False, or None when it cannot be told."""
    if owner.get("host") != socket.gethostname():
        return None  # a folder shared with another machine: its processes are not ours to see
    boot = _boot_id()
    if boot is not None and owner.get("boot_id") is not None and owner.get("boot_id") != boot:
        return False  # the machine restarted since
    pid = owner.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, as another user
    except OSError:
        return None
    recorded, current = owner.get("process_start"), _process_start(pid)
    if recorded is not None and current is not None and recorded != current:
        return False  # the pid was reused (a new container numbers its processes from 1 again)
    return True


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


def _process_start(pid: int) -> int | None:
    """The process's start time (clock ticks after boot, from /proc): with the pid, it names one process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat[stat.rindex(")") + 2 :].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _stop_git_inside(folder: Path) -> None:
    """SIGKILL the git processes (of this user) that work in ``folder`` or name it on their command line."""
    proc = Path("/proc")
    if not proc.is_dir():
        return
    inside = str(folder)
    stopped = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = [a.decode(errors="replace") for a in (entry / "cmdline").read_bytes().split(b"\0") if a]
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if not argv or not os.path.basename(argv[0]).startswith("git"):
            continue
        if cwd == inside or cwd.startswith(inside + os.sep) or any(inside in arg for arg in argv):
            with contextlib.suppress(OSError):
                os.kill(int(entry.name), signal.SIGKILL)
                stopped.append(entry)
    deadline = time.monotonic() + 2.0
    while stopped and time.monotonic() < deadline:
        stopped = [e for e in stopped if _running(e)]
        time.sleep(0.05)


def _running(entry: Path) -> bool:
    try:
        stat = (entry / "stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :][:1] not in ("Z", "X")
