"""What code a run is started from: the git work tree around the running notebook or script, read with git.

Runs inside the user's kernel or script, on every ``mlflow.start_run``, so it is built to be cheap: the work tree
is found by walking up to a ``.git`` without starting git, ``start_run`` waits for one git process (:func:`head_of`)
and the rest (:func:`working_state`: remote, status, diff) runs beside MLflow's own request to create the run.
Uncommitted changes are ``git diff HEAD`` plus small untracked text files, taken through a temporary index (the
user's own index is never written), so the diff is exactly what ``git apply`` needs to rebuild what ran.
Nothing here imports MLflow or the server side.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

MAX_DIFF_BYTES = 2 << 20  # a recorded diff above this is cut, and the cut is stated
MAX_UNTRACKED_FILE_BYTES = 64 << 10
MAX_UNTRACKED_FILES = 100
GIT_TIMEOUT_SECONDS = 5.0
_OBJECT_ID = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
# Never part of what ran, and present in nearly every notebook folder that does not ignore them.
_NOISE_PARTS = {".ipynb_checkpoints", "__pycache__"}
# The diff is read with fixed options whatever the user's git config says, so that `git apply` takes it.
_DIFF_CONFIG = (
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "diff.relative=false",
    "core.quotePath=true",
    "color.ui=false",
)


@dataclass
class CodeCapture:
    top: Path
    commit: str
    branch: str | None
    repo_url: str | None
    path: str | None  # the running file, relative to ``top``
    dirty: bool
    diff: bytes = b""
    diff_sha256: str | None = None
    diff_bytes: int = 0
    capped: str | None = None
    untracked_skipped: list[str] = field(default_factory=list)


class GitUnavailable(Exception):
    """git is missing or failed in a way that leaves nothing to record."""


def running_file(environ: dict | None = None) -> Path | None:
    """The notebook (the kernel's session path) or the script being run, when either is known."""
    environ = os.environ if environ is None else environ
    session = environ.get("JPY_SESSION_NAME")
    if session:
        path = Path(session)
        if path.is_absolute():
            return path
        # jupyter_server gives the path relative to its root when it cannot tell the kernel's folder; the kernel
        # starts in the notebook's folder, so the name resolves there.
        for candidate in (Path.cwd() / path.name, Path.cwd() / path):
            if candidate.is_file():
                return candidate.resolve()
        return None
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    if not main_file or "ipykernel" in sys.modules:
        return None  # a kernel without a session name, or an interactive interpreter
    return Path(main_file).resolve()


def find_work_tree(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` with a ``.git`` (folder or file), found without running git."""
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def strip_credentials(url: str) -> str:
    """A remote URL without user:password@, query or fragment (an scp-like ``git@host:path`` is kept)."""
    url = url.strip()
    if "://" not in url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}@" if parts.scheme == "ssh" and parts.username and parts.password is None else ""
    return urlunsplit((parts.scheme, user + host, parts.path, "", ""))


@dataclass
class CodeHead:
    """What ``start_run`` waits for: one git process."""

    top: Path
    index_path: Path
    commit: str
    branch: str | None
    path: str | None  # the running file, relative to ``top``


def head_of(start: Path, running: Path | None) -> CodeHead | None:
    """The commit and branch at ``start`` (the running file's folder, or the working directory); None outside a
    work tree or before the first commit."""
    work_tree = find_work_tree(start)
    if work_tree is None or shutil.which("git") is None:
        return None
    read = read_head(work_tree)
    if read is not None:
        top, index_path, commit, branch = read
    else:  # anything unusual (reftable, a symref chain, no commit yet): git answers
        head = _git(
            work_tree,
            _git_env(),
            "rev-parse",
            "--show-toplevel",
            "--git-path",
            "index",
            "HEAD",
            "--abbrev-ref",
            "HEAD",
            check=False,
        )
        lines = head.stdout.decode("utf-8", "surrogateescape").splitlines()
        if head.returncode != 0 or len(lines) < 4:
            return None  # no commit yet: nothing to pin the run to
        top, index_path, commit, branch = Path(lines[0]), Path(lines[1]), lines[2].strip(), lines[3].strip()
        if not index_path.is_absolute():
            index_path = work_tree / index_path
    relative = None
    if running is not None:
        try:
            relative = running.resolve().relative_to(top.resolve()).as_posix()
        except ValueError:
            relative = None
    return CodeHead(
        top=top, index_path=index_path, commit=commit, branch=None if branch == "HEAD" else branch, path=relative
    )


def read_head(work_tree: Path) -> tuple[Path, Path, str, str] | None:
    """``(top, index, commit, branch or "HEAD")`` read from the files git keeps, for the common layouts (a
    ``.git`` folder, or a ``.git`` file of a linked worktree; loose or packed branch refs). None when anything
    is unusual: the caller then asks git. ``start_run`` waits for this, and reading three small files costs
    nothing next to starting a process."""
    try:
        dot_git = work_tree / ".git"
        if dot_git.is_dir():
            git_dir = dot_git
        else:
            text = dot_git.read_text(encoding="utf-8").strip()
            if not text.startswith("gitdir:"):
                return None
            git_dir = (work_tree / text[len("gitdir:") :].strip()).resolve()
        common = git_dir
        if (git_dir / "commondir").is_file():
            common = (git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip()).resolve()
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        branch = "HEAD"
        if head.startswith("ref: refs/heads/"):
            ref = head[len("ref: ") :]
            branch = ref[len("refs/heads/") :]
            loose = common / ref
            commit = loose.read_text(encoding="utf-8").strip() if loose.is_file() else _packed_ref(common, ref)
        else:
            commit = head
    except (OSError, UnicodeDecodeError):
        return None
    if not commit or not _OBJECT_ID.fullmatch(commit):
        return None
    return work_tree, git_dir / "index", commit, branch


def _packed_ref(common: Path, ref: str) -> str | None:
    packed = common / "packed-refs"
    if not packed.is_file():
        return None
    for line in packed.read_text(encoding="utf-8").splitlines():
        sha, _, name = line.partition(" ")
        if name == ref:
            return sha
    return None


def capture(start: Path, running: Path | None, max_diff_bytes: int = MAX_DIFF_BYTES) -> CodeCapture | None:
    """Everything at once (head, remote, working state): for callers that can wait."""
    head = head_of(start, running)
    return None if head is None else working_state(head, max_diff_bytes)


def working_state(head: CodeHead, max_diff_bytes: int = MAX_DIFF_BYTES) -> CodeCapture:
    """The remote and the uncommitted changes of the work tree ``head`` was read from."""
    env = _git_env()
    top = head.top
    found = CodeCapture(
        top=top,
        commit=head.commit,
        branch=head.branch,
        repo_url=_remote_url(top, env, head.branch),
        path=head.path,
        dirty=False,
    )
    tracked, untracked = _status(top, env)
    if not tracked and not untracked:
        return found
    found.dirty = True
    included = _small_text_files(top, untracked, found.untracked_skipped)
    diff = _diff(top, env, head.index_path, included)
    found.diff_sha256 = hashlib.sha256(diff).hexdigest()
    found.diff_bytes = len(diff)
    if len(diff) > max_diff_bytes:
        found.capped = (
            f"The uncommitted changes are {len(diff):,} bytes; only the first {max_diff_bytes:,} were "
            "recorded, so this run's code cannot be restored exactly. Commit the changes before runs."
        )
        diff = diff[:max_diff_bytes]
    found.diff = diff
    return found


# --- git ---------------------------------------------------------------------------------------------
def _git_env() -> dict[str, str]:
    # A hook or a parent git may have set GIT_DIR / GIT_INDEX_FILE: they would point git at another repo.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0", "GIT_LITERAL_PATHSPECS": "1"})
    return env


def _git(cwd: Path, env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    config: list[str] = []
    for item in _DIFF_CONFIG:
        config += ["-c", item]
    try:
        done = subprocess.run(
            ["git", *config, *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise GitUnavailable(f"git {args[0]}: {err}") from None
    if check and done.returncode != 0:
        raise GitUnavailable(
            f"git {args[0]} exited {done.returncode}: {done.stderr.decode('utf-8', 'replace').strip()[:300]}"
        )
    return done


def _remote_url(top: Path, env: dict, found_branch: str | None) -> str | None:
    """The URL of the branch's upstream remote, else of ``origin``, else of the first remote."""
    done = _git(top, env, "config", "-z", "--get-regexp", r"^(remote\..*\.url|branch\..*\.remote)$", check=False)
    urls: dict[str, str] = {}
    upstream = None
    for entry in done.stdout.decode("utf-8", "replace").split("\0"):
        key, _, value = entry.partition("\n")
        if key.startswith("remote.") and key.endswith(".url"):
            urls.setdefault(key[len("remote.") : -len(".url")], value)
        elif found_branch and key == f"branch.{found_branch}.remote":
            upstream = value
    name = upstream if upstream in urls else "origin" if "origin" in urls else next(iter(urls), None)
    return strip_credentials(urls[name]) if name else None


def _status(top: Path, env: dict) -> tuple[list[str], list[str]]:
    done = _git(
        top, env, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--ignore-submodules=dirty"
    )
    tracked, untracked = [], []
    for entry in done.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if _NOISE_PARTS.intersection(path.split("/")):
            continue
        (untracked if code == "??" else tracked).append(path)
    return tracked, untracked


def _small_text_files(top: Path, untracked: list[str], skipped: list[str]) -> list[str]:
    """The untracked files the diff carries: small text files, the first :data:`MAX_UNTRACKED_FILES`."""
    included = []
    for path in untracked:
        reason = None
        full = top / path
        try:
            if full.is_symlink() or not full.is_file():
                reason = "not a regular file"
            elif full.stat().st_size > MAX_UNTRACKED_FILE_BYTES:
                reason = f"over {MAX_UNTRACKED_FILE_BYTES // 1024} KB"
            elif b"\0" in full.read_bytes()[:8192]:
                reason = "binary"
            elif len(included) >= MAX_UNTRACKED_FILES:
                reason = f"more than {MAX_UNTRACKED_FILES} untracked files"
        except OSError:
            reason = "unreadable"
        if reason:
            skipped.append(f"{path} ({reason})")
        else:
            included.append(path)
    return included


def _diff(top: Path, env: dict, index_path: Path, untracked: list[str]) -> bytes:
    args = (
        "diff",
        "HEAD",
        "--binary",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--no-renames",
        "--ignore-submodules=all",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        "--",
    )
    if not untracked:
        return _git(top, env, *args).stdout
    # Untracked files enter the diff as new files through a copy of the index marked intent-to-add; the
    # user's index stays as it was.
    with tempfile.TemporaryDirectory(prefix="studio-collab-provenance-") as scratch:
        temp_index = Path(scratch) / "index"
        if index_path.exists():
            shutil.copyfile(index_path, temp_index)
        with_index = {**env, "GIT_INDEX_FILE": str(temp_index)}
        _git(top, with_index, "add", "--intent-to-add", "--", *untracked)
        return _git(top, with_index, *args).stdout
