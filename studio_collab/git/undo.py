"""Undo sync: every sync records the exact prior state under a private ref, and undo puts it back byte for byte.

A record is a commit object at ``refs/studio-collab/syncs/<id>`` (never on a branch, never pushed: only
``refs/heads`` and tags are pushed by default). Its tree holds four subtrees:

* ``index-before`` / ``index-after``: the index as trees (``git write-tree``),
* ``before`` / ``after``: every file the sync touched, exact bytes (no filters) and modes, symlinks as links.

Its message is JSON: HEAD and branch before and after, the touched paths, the files reported, and a branch
the sync created. Undo first checks that HEAD, the index and those files are exactly as the sync left them;
if the user changed anything since, it refuses and says what, so undo never overwrites newer work.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
import tempfile
import time
from pathlib import Path

from ..errors import StudioCollabError
from .worktree import IDENTITY, Worktree

RECORDS = "refs/studio-collab/syncs/"
UNDONE = "refs/studio-collab/undone/"
RESOLUTIONS = "refs/studio-collab/resolutions/"  # conflicts resolved since a sync (resolve.py)
KEEP = 20  # records kept per repo
_ZERO = "0" * 40


def expand_files(root: Path, relative: str) -> list[str]:
    """``relative`` itself, or every file under it when it is a real folder (symlinks are not followed)."""
    full = root / relative
    try:
        seen = os.lstat(full)
    except (FileNotFoundError, NotADirectoryError):
        return []
    if not stat.S_ISDIR(seen.st_mode):
        return [relative]
    found = []
    for folder, dirs, files in os.walk(full):
        rel = Path(folder).relative_to(root).as_posix()
        found.extend(f"{rel}/{name}" for name in files)
        found.extend(f"{rel}/{name}" for name in dirs if os.path.islink(os.path.join(folder, name)))
    return found


class SyncRecorder:
    def __init__(self, wt: Worktree):
        self.wt = wt

    # --- recording --------------------------------------------------------------------------------
    def begin(self, touched: set[str]) -> dict:
        wt = self.wt
        return {
            "head": wt.rev("HEAD"),
            "branch": wt.current_branch(),
            "index": self.index_tree(),
            "files": self.snapshot(touched),
        }

    def finish(self, before: dict, touched: set[str], files: list[dict], created_branch: str | None) -> str:
        wt = self.wt
        after = {
            "head": wt.rev("HEAD"),
            "branch": wt.current_branch(),
            "index": self.index_tree(),
            "files": self.snapshot(touched),
        }
        tree = wt.run(
            "mktree",
            "-z",
            input="".join(
                f"040000 tree {oid}\t{name}\0"
                for name, oid in (
                    ("before", before["files"]),
                    ("after", after["files"]),
                    ("index-before", before["index"]),
                    ("index-after", after["index"]),
                )
            ).encode(),
        ).stdout.strip()
        sync_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)
        meta = {
            "version": 1,
            "id": sync_id,
            "time": time.time(),
            "head_before": before["head"],
            "branch_before": before["branch"],
            "head_after": after["head"],
            "branch_after": after["branch"],
            "touched": sorted(touched),
            "files": files,
            "created_branch": created_branch,
        }
        parents = [a for h in {before["head"], after["head"]} if h for a in ("-p", h)]  # keeps both alive
        commit = wt.run(
            "commit-tree",
            tree,
            *parents,
            "-F",
            "-",
            env=IDENTITY,
            input=f"studio-collab sync {sync_id}\n\n{json.dumps(meta)}\n".encode(),
        ).stdout.strip()
        wt.run("update-ref", RECORDS + sync_id, commit, _ZERO)
        for old in self.refs()[KEEP:]:
            wt.run("update-ref", "-d", old[0], check=False)
        return sync_id

    def index_tree(self) -> str:
        return self.wt.out("write-tree").strip()

    def snapshot(self, paths: set[str]) -> str:
        """A tree of the listed files as they are on disk now (absent ones are simply not in it)."""
        root = self.wt.path
        regular, entries = [], []
        for path in sorted(paths):
            try:
                seen = os.lstat(root / path)
            except (FileNotFoundError, NotADirectoryError):
                continue
            if stat.S_ISLNK(seen.st_mode):
                target = os.fsencode(os.readlink(root / path))
                oid = self.wt.run("hash-object", "-w", "--no-filters", "--stdin", input=target).stdout.strip()
                entries.append(f"120000 {oid}\t{path}")
            elif stat.S_ISREG(seen.st_mode):
                regular.append((path, "100755" if seen.st_mode & stat.S_IXUSR else "100644"))
        if regular:
            oids = self._hash_files([p for p, _ in regular])
            entries.extend(f"{mode} {oid}\t{path}" for (path, mode), oid in zip(regular, oids))
        return tree_of(self.wt, entries)

    def _hash_files(self, paths: list[str]) -> list[str]:
        oids = []
        for start in range(0, len(paths), 500):
            chunk = paths[start : start + 500]
            out = self.wt.run("hash-object", "-w", "--no-filters", "--", *chunk).stdout.split()
            oids.extend(out)
        return oids

    # --- reading ------------------------------------------------------------------------------------
    def refs(self) -> list[tuple[str, str]]:
        out = self.wt.out("for-each-ref", "--sort=-refname", "--format=%(refname) %(objectname)", RECORDS)
        return [tuple(line.split(" ", 1)) for line in out.splitlines() if line]  # type: ignore[misc]

    def meta(self, commit: str) -> dict:
        message = self.wt.out("cat-file", "commit", commit).split("\n\n", 1)[1]
        return json.loads(message.split("\n", 2)[2])

    def list(self, limit: int = KEEP) -> list[dict]:
        head, branch = self.wt.rev("HEAD"), self.wt.current_branch()
        syncs = []
        for i, (_ref, commit) in enumerate(self.refs()[:limit]):
            meta = self.meta(commit)
            syncs.append(
                {
                    "id": meta["id"],
                    "time": meta["time"],
                    "files": meta["files"],
                    "undoable": i == 0 and head == meta["head_after"] and branch == meta["branch_after"],
                }
            )
        return syncs

    # --- undoing --------------------------------------------------------------------------------------
    def undo(self, sync_id: str) -> dict:
        wt = self.wt
        refs = self.refs()
        commit = next((c for r, c in refs if r == RECORDS + sync_id), None)
        if commit is None:
            raise StudioCollabError(
                "sync_not_found", "No such sync for this repository (it may have been undone already).", 404
            )
        if refs[0][1] != commit:
            raise StudioCollabError(
                "undo_not_latest", "Only the latest sync can be undone; undo the later ones first.", 409
            )
        meta = self.meta(commit)
        touched = set(meta["touched"])
        trees = {
            name: wt.out("rev-parse", f"{commit}^{{tree}}:{name}").strip()
            for name in ("before", "after", "index-before", "index-after")
        }
        changed = []
        if wt.rev("HEAD") != meta["head_after"] or wt.current_branch() != meta["branch_after"]:
            changed.append("HEAD (a commit or a branch switch)")
        if self.index_tree() != trees["index-after"]:
            changed.append("the staged changes")
        # Conflicts resolved since the sync (keep mine / take theirs) are part of what the sync left.
        resolved = wt.rev(RESOLUTIONS + sync_id)
        left = wt.out("rev-parse", f"{resolved}^{{tree}}:left").strip() if resolved else trees["after"]
        saved = self._tree_entries(wt.out("rev-parse", f"{resolved}^{{tree}}:saved").strip()) if resolved else {}
        touched |= set(saved)
        if self.snapshot(touched) != left:
            now = self.snapshot(touched)
            differing = wt.out("diff-tree", "-r", "--name-only", "-z", left, now).split("\0")
            changed.append("files: " + ", ".join(p for p in differing if p)[:300])
        if changed:
            raise StudioCollabError(
                "changed_since_sync",
                "You changed things since this sync ("
                + "; ".join(changed)
                + "), so undo would overwrite newer work. Nothing was "
                "changed.",
                409,
            )
        root = wt.path
        before = {**saved, **self._tree_entries(trees["before"])}
        for path in sorted(touched, reverse=True):
            full = root / path
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                if os.path.islink(full) or full.is_file():
                    full.unlink()
            prune_empty_parents(root, path)
        for path, (mode, oid) in sorted(before.items()):
            full = root / path
            clear_dir_for_file(root, path)
            full.parent.mkdir(parents=True, exist_ok=True)
            data = wt.run("cat-file", "blob", oid, stdout_bytes=True).stdout
            if mode == "120000":
                os.symlink(os.fsdecode(data), full)
            else:
                full.write_bytes(data)
                os.chmod(full, 0o755 if mode == "100755" else 0o644)
        entries = []
        after_index, before_index = self._tree_entries(trees["index-after"]), self._tree_entries(trees["index-before"])
        for path in set(after_index) | set(before_index):
            if after_index.get(path) != before_index.get(path):
                entry = before_index.get(path)
                entries.append(f"0 {_ZERO}\t{path}" if entry is None else f"{entry[0]} {entry[1]}\t{path}")
        if entries:
            wt.run("update-index", "-z", "--index-info", input="".join(e + "\0" for e in entries).encode())
        branch_after, branch_before = meta["branch_after"], meta["branch_before"]
        if branch_after and meta["head_before"] is None:  # the branch was unborn before the sync
            wt.run("update-ref", "-d", f"refs/heads/{branch_after}", meta["head_after"])
        elif branch_after:
            wt.run(
                "update-ref",
                "-m",
                "studio-collab undo sync",
                f"refs/heads/{branch_after}",
                meta["head_before"],
                meta["head_after"],
            )
        if branch_before is None:
            wt.run("update-ref", "--no-deref", "-m", "studio-collab undo sync", "HEAD", meta["head_before"])
        created = meta.get("created_branch")
        if created:
            wt.run("update-ref", "-d", f"refs/heads/{created}", meta["head_before"], check=False)
        wt.run("update-index", "-q", "--refresh", check=False)
        wt.run("update-ref", UNDONE + sync_id, commit)
        wt.run("update-ref", "-d", RECORDS + sync_id, commit)
        if resolved:
            wt.run("update-ref", "-d", RESOLUTIONS + sync_id, resolved, check=False)
        return {
            "undone": sync_id,
            "files": [
                {"path": p, "outcome": "restored"}
                for p in sorted(set(before) | {p for p in touched if (root / p).exists() or os.path.islink(root / p)})
            ],
            "head": (meta["head_before"] or "")[:12],
        }

    def _tree_entries(self, tree: str) -> dict[str, tuple[str, str]]:
        entries = {}
        for record in self.wt.out("ls-tree", "-r", "-z", "--full-tree", tree).split("\0"):
            if record:
                meta, path = record.split("\t", 1)
                mode, _, oid = meta.split()
                entries[path] = (mode, oid)
        return entries


def prune_empty_parents(root: Path, path: str) -> None:
    """Folders a removed file leaves empty go too, up to the work tree's root (sync and undo alike)."""
    parent = Path(path).parent
    while str(parent) not in ("", "."):
        try:
            (root / parent).rmdir()
        except OSError:
            return
        parent = parent.parent


def clear_dir_for_file(root: Path, path: str) -> None:
    """An empty folder left where a file must go (its files were removed) is removed first."""
    full = root / path
    if full.is_dir() and not full.is_symlink():
        for folder, _, _ in sorted(os.walk(full), key=lambda item: -len(item[0])):
            with contextlib.suppress(OSError):
                os.rmdir(folder)


def tree_of(wt: Worktree, entries: list[str]) -> str:
    """A git tree of index entries (``<mode> <oid>\t<path>``), written through a temporary index so the user's own
    index is never touched."""
    with tempfile.TemporaryDirectory(prefix="studio-collab-tree-") as folder:
        env = {"GIT_INDEX_FILE": str(Path(folder, "index"))}
        if entries:
            wt.run(
                "update-index",
                "-z",
                "--add",
                "--index-info",
                env=env,
                input="".join(e + "\0" for e in entries).encode(),
            )
        return wt.run("write-tree", env=env).stdout.strip()
