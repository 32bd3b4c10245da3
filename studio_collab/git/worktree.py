"""A cloned repo on disk, as the small set of plumbing questions clone, status and sync ask of it.

Every call goes through :class:`GitRunner` (timeout, clean environment) and runs in the caller's worker
thread. Paths travel NUL-separated (``-z``), so any file name survives; positionals follow ``--``.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from ..errors import StudioCollabError
from .command import GitResult, GitRunner, Redactor

# Bookkeeping commits are made by this identity through the environment of that one git process:
# the user's git config (global or the repo's) is never written.
IDENTITY = {
    "GIT_AUTHOR_NAME": "studio-collab",
    "GIT_AUTHOR_EMAIL": "studio-collab@localhost",
    "GIT_COMMITTER_NAME": "studio-collab",
    "GIT_COMMITTER_EMAIL": "studio-collab@localhost",
}
# Sync never runs the repo's hooks or asks for a signing key: its commits are bookkeeping, not the user's.
LOCAL_CONFIG = (
    "core.hooksPath=/dev/null",
    "commit.gpgSign=false",
    "rerere.enabled=false",
    "merge.conflictStyle=merge",
    "core.quotePath=false",
)
SYNCED_REF = "refs/studio-collab/synced"  # upstream as of the last good clone or sync
_STALE_LOCK_SECONDS = 600
CHECKPOINTS = ".ipynb_checkpoints"
_ARGS_PER_CALL = 500  # paths per git call, well under the argv limit


class Worktree:
    def __init__(self, runner: GitRunner, path: Path, timeout: float):
        self.runner = runner
        self.path = Path(path)
        self.timeout = timeout

    # --- running git -----------------------------------------------------------------------------
    def run(
        self,
        *args: str,
        check: bool = True,
        env: dict | None = None,
        timeout: float | None = None,
        cancel: threading.Event | None = None,
        on_stderr_line=None,
        redact: Redactor | None = None,
        config: tuple[str, ...] = (),
        stdout_bytes: bool = False,
        background: bool = False,
        input: bytes | None = None,
    ) -> GitResult:
        return self.runner.run(
            args,
            cwd=self.path,
            timeout=timeout or self.timeout,
            env=env,
            config=LOCAL_CONFIG + tuple(config),
            cancel=cancel,
            on_stderr_line=on_stderr_line,
            redact=redact,
            check=check,
            stdout_bytes=stdout_bytes,
            background=background,
            input=input,
        )

    def out(self, *args: str) -> str:
        return self.run(*args).stdout

    def commit(self, message: str, *args: str) -> None:
        self.run("commit", "--no-verify", "-q", "-m", message, *args, env=IDENTITY)

    # --- questions ---------------------------------------------------------------------------------
    def origin_url(self) -> str | None:
        """Asked of git once per version of ``.git/config``: GET repos asks it of every repo, every time."""
        config = self.path / ".git" / "config"
        try:
            seen = config.stat()
            version = (seen.st_ino, seen.st_mtime_ns, seen.st_size)
        except OSError:
            version = None  # e.g. ``.git`` is a file (a linked worktree): always ask git

        def ask() -> str | None:
            return self.run("config", "--get", "remote.origin.url", check=False).stdout.strip() or None

        return self._remembered(("git:origin", str(config)), version, ask)

    def _remembered(self, key: tuple, version, compute):
        """Through the server's one cache when the runner carries it (one entry per version of the input)."""
        memo = self.runner.memo
        return memo.remembered(key, version, compute) if memo is not None else compute()

    def rev(self, ref: str) -> str | None:
        result = self.run("rev-parse", "-q", "--verify", "--end-of-options", f"{ref}^{{commit}}", check=False)
        return result.stdout.strip() or None

    def current_branch(self) -> str | None:
        result = self.run("symbolic-ref", "-q", "--short", "HEAD", check=False)
        return result.stdout.strip() or None

    def default_remote_branch(self) -> str | None:
        result = self.run("symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD", check=False)
        name = result.stdout.strip()
        return name.split("/", 1)[1] if name.startswith("origin/") else None

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self.run("merge-base", "--is-ancestor", older, newer, check=False).returncode == 0

    def merge_base(self, a: str, b: str) -> str | None:
        result = self.run("merge-base", a, b, check=False)
        return result.stdout.strip() or None

    def changes(self, old: str, new: str) -> dict[str, str]:
        """``{path: A|M|D|T}`` from ``old`` to ``new``, renames seen as delete + add."""
        fields = self.out("diff", "--no-renames", "--name-status", "-z", old, new, "--").split("\0")
        return {fields[i + 1]: fields[i][0] for i in range(0, len(fields) - 1, 2) if fields[i]}

    def show(self, rev: str, path: str) -> bytes | None:
        result = self.run("cat-file", "blob", f"{rev}:{path}", check=False, stdout_bytes=True)
        return result.stdout if result.returncode == 0 else None  # type: ignore[return-value]

    def deleted_files(self) -> list[str]:
        return [p for p in self.out("ls-files", "-z", "--deleted").split("\0") if p]

    def tracked_changes(self) -> list[str]:
        return [line for line in self.out("status", "--porcelain=v1", "-z", "--untracked-files=no").split("\0") if line]

    def unmerged(self) -> dict[str, set[int]]:
        stages: dict[str, set[int]] = {}
        for entry in self.out("ls-files", "-u", "-z").split("\0"):
            if entry:
                meta, path = entry.split("\t", 1)
                stages.setdefault(path, set()).add(int(meta.split()[2]))
        return stages

    def git_dir(self) -> Path:
        return Path(self.path, self.out("rev-parse", "--git-dir").strip()).resolve()

    def operation_in_progress(self) -> str | None:
        git_dir = self.git_dir()
        for marker, what in (
            ("MERGE_HEAD", "a merge"),
            ("rebase-merge", "a rebase"),
            ("rebase-apply", "a rebase"),
            ("CHERRY_PICK_HEAD", "a cherry-pick"),
            ("REVERT_HEAD", "a revert"),
            ("BISECT_LOG", "a bisect"),
        ):
            if (git_dir / marker).exists():
                return what
        if self.unmerged():
            return "unresolved conflicts"
        return None

    def clear_stale_index_lock(self) -> None:
        """Like nbgitpuller: a lock older than 10 minutes is a crashed git; a fresh one is someone working."""
        lock = self.git_dir() / "index.lock"
        try:
            age = time.time() - lock.stat().st_mtime
        except FileNotFoundError:
            return
        if age < _STALE_LOCK_SECONDS:
            raise StudioCollabError(
                "repo_busy",
                "Another git command is working in this repository (its "
                ".git/index.lock is recent). Wait a minute, then sync again.",
                409,
            )
        lock.unlink(missing_ok=True)

    def status_summary(self) -> dict:
        """branch, head, dirty files (tracked and untracked), and the tracked upstream with ahead/behind when
        git knows them: one git call, since GET repos reads this for every cloned repo."""
        fields = iter(self.out("status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal").split("\0"))
        info = {"branch": None, "head": None, "ahead": 0, "behind": 0, "dirty": 0, "upstream": None}
        for line in fields:
            if line.startswith("2 "):
                next(fields, None)  # a rename's original path is its own field
            if line.startswith("# branch.oid "):
                oid = line.split()[2]
                info["head"] = None if oid == "(initial)" else oid[:12]
            elif line.startswith("# branch.head "):
                head = line.split(" ", 2)[2]
                info["branch"] = None if head == "(detached)" else head
            elif line.startswith("# branch.upstream "):
                info["upstream"] = line.split(" ", 2)[2]
            elif line.startswith("# branch.ab "):
                ahead, behind = line.split()[2:4]
                info["ahead"], info["behind"] = int(ahead.lstrip("+")), int(behind.lstrip("-"))
            elif line and not line.startswith("#") and not self._only_jupyter_bookkeeping(line):
                info["dirty"] += 1
        return info

    def _only_jupyter_bookkeeping(self, line: str) -> bool:
        """Jupyter's own files are no change of the user's: ``.ipynb_checkpoints/`` (also inside an untracked
        folder that holds nothing else), and a notebook that was opened and saved without a change as a
        notebook (re-serialised bytes only)."""
        from .notebooks import is_notebook, same_notebook

        if line.startswith("? "):
            path = line[2:]
            if CHECKPOINTS in path.rstrip("/").split("/"):
                return True
            if path.endswith("/"):
                files = [
                    os.path.relpath(os.path.join(folder, name), self.path / path)
                    for folder, _, names in os.walk(self.path / path)
                    for name in names
                ]
                return all(CHECKPOINTS in f.split(os.sep) for f in files)
            return False
        if line.startswith("1 .M "):
            fields = line.split(" ", 8)
            path, index_oid = fields[8], fields[7]
            full = self.path / path
            if is_notebook(path) and full.is_file() and not full.is_symlink():
                seen = full.stat()

                def compare() -> bool:
                    committed = self.run("cat-file", "blob", index_oid, check=False, stdout_bytes=True).stdout
                    return same_notebook(full.read_bytes(), committed)

                # GET repos asks every few seconds: parse once per version of the file and of its commit
                return self._remembered(
                    ("git:notebook-unchanged", str(full)), (seen.st_mtime_ns, seen.st_size, index_oid), compare
                )
        return False

    def is_shallow(self) -> bool:
        return self.out("rev-parse", "--is-shallow-repository").strip() == "true"

    def _per_chunk(self, args: tuple[str, ...], paths: list[str]) -> str:
        return "".join(
            self.out(*args, "--", *paths[i : i + _ARGS_PER_CALL]) for i in range(0, len(paths), _ARGS_PER_CALL)
        )

    def index_entries(self, paths: list[str]) -> tuple[dict, dict[str, str]]:
        """``({path: Entry}, {path: "skip-worktree"|"assume-unchanged"})`` for those of ``paths`` in the index
        (stage 0), from one ``ls-files -s -v`` call."""
        from .sync import Entry

        wanted, entries, flags = set(paths), {}, {}
        for record in self._per_chunk(("ls-files", "-s", "-v", "-z"), paths).split("\0"):
            if not record:
                continue
            meta, path = record.split("\t", 1)
            tag, mode, oid, stage = meta.split()
            if path not in wanted or stage != "0":
                continue
            entries[path] = Entry(mode, oid)
            if tag in ("S", "s"):
                flags[path] = "skip-worktree"
            elif tag.islower():
                flags[path] = "assume-unchanged"
        return entries, flags

    def modified_in_worktree(self, paths: list[str], assumed: list[str], index: dict) -> set[str]:
        """Paths whose work-tree file differs from the index; assume-unchanged ones are hashed, since git
        would answer "unchanged" for them without looking."""
        wanted = set(paths)
        # `git diff` (not diff-files): it re-checks stat-dirty entries' contents, so a copied or touched but
        # unchanged file is not "modified"; it never writes the index
        modified = {
            p
            for p in self._per_chunk(("diff", "-z", "--name-only", "--no-renames", "--no-ext-diff"), paths).split("\0")
            if p in wanted
        }
        for path in assumed:
            full = self.path / path
            if not full.is_file() or full.is_symlink() or path not in index:
                modified.add(path)
                continue
            oid = self.out("hash-object", "--path", path, "--", str(full)).strip()
            if oid != index[path].oid:
                modified.add(path)
        return modified

    def blobs(self, oids: set[str]) -> dict[str, bytes]:
        """Many blobs in one ``git cat-file --batch`` call."""
        wanted = sorted(oids)
        if not wanted:
            return {}
        out = self.run(
            "cat-file", "--batch", input="".join(o + "\n" for o in wanted).encode(), stdout_bytes=True
        ).stdout
        found, at = {}, 0
        for oid in wanted:
            end = out.index(b"\n", at)
            header = out[at:end].split()
            if len(header) < 3 or header[1] != b"blob":
                at = end + 1
                continue
            size = int(header[2])
            found[oid] = out[end + 1 : end + 1 + size]
            at = end + 1 + size + 1
        return found

    def write_file(self, relative: str, data: bytes, executable: bool = False) -> None:
        target = self.path / relative
        parent = target.parent
        parent.mkdir(parents=True, exist_ok=True)
        if parent.resolve() != Path(os.path.realpath(self.path)) / os.path.relpath(parent, self.path):
            raise StudioCollabError(
                "symlink_in_path",
                f"A folder on the way to '{relative}' is a symbolic link; nothing is written through it.",
                409,
            )
        tmp = target.with_name(f".{target.name}.studio-collab-tmp")
        tmp.write_bytes(data)
        if executable:
            tmp.chmod(tmp.stat().st_mode | 0o111)
        os.replace(tmp, target)  # a reader never sees half a notebook
