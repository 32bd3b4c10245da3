"""Resolve what a sync left as a conflict: keep mine or take theirs, per file or per notebook cell conflict.

A sync never decides a conflict for the user (docs/sync.md): text keeps both versions in conflict regions, a
notebook keeps both cells marked ``metadata.studio_collab.conflict``, a binary keeps upstream's beside. This
module settles one of them on request, for one file the latest sync reported as ``kept_both``:

* text: *mine* is the file as it was before the sync (the record's ``before`` tree), *theirs* upstream's version
  (the file in the commit the sync moved to);
* notebook: each conflict (by id, or all of them) keeps the user's cell or upstream's, the note goes, the rest of
  the merge stays;
* beside: *mine* removes upstream's copy saved beside, *theirs* puts it in place of the file.

Only the work tree changes: never the index, HEAD or a commit. Before writing, the file must be exactly as the
sync (or an earlier resolve) left it, else nothing happens. Each resolve is recorded as a commit object at
``refs/studio-collab/resolutions/<sync id>`` (its parent: the resolve before) holding the files as it left them
and the prior bytes of any file it wrote that the sync had not touched: the conflicted versions stay in the sync
record as the backup, and Undo sync still restores the state before the sync (it accepts the files as the last
resolve left them and puts the saved ones back).
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

import nbformat

from ..errors import StudioCollabError
from .notebooks import CONFLICT_KEY, is_notebook
from .undo import RECORDS, RESOLUTIONS, SyncRecorder, tree_of
from .worktree import IDENTITY, Worktree

SIDES = ("mine", "theirs")
_ZERO = "0" * 40


def resolution_state(wt: Worktree, sync_id: str) -> tuple[str, str] | None:
    """(left, saved) trees of the last resolve of this sync, or None before any: ``left`` is every file the sync
    and the resolves touched as the last resolve left them, ``saved`` the prior bytes of files a resolve wrote that
    the sync had not touched (a binary kept whole, replaced by upstream's copy), which Undo sync puts back too."""
    commit = wt.rev(RESOLUTIONS + sync_id)
    if not commit:
        return None
    return (
        wt.out("rev-parse", f"{commit}^{{tree}}:left").strip(),
        wt.out("rev-parse", f"{commit}^{{tree}}:saved").strip(),
    )


class ConflictResolver:
    def __init__(self, wt: Worktree):
        self.wt = wt
        self.recorder = SyncRecorder(wt)

    def resolve(self, sync_id: str, path: str, keep: str, conflict: str | None = None) -> dict:
        if keep not in SIDES:
            raise StudioCollabError("invalid_request", "keep must be 'mine' or 'theirs'.", 400)
        wt = self.wt
        refs = self.recorder.refs()
        commit = next((c for r, c in refs if r == RECORDS + sync_id), None)
        if commit is None:
            raise StudioCollabError(
                "sync_not_found", "No such sync for this repository (it may have been undone).", 404
            )
        if refs[0][1] != commit:
            raise StudioCollabError(
                "resolve_not_latest",
                "Only the conflicts of the latest sync can be resolved here; edit the file yourself.",
                409,
            )
        meta = self.recorder.meta(commit)
        reported = {f["path"]: f["outcome"] for f in meta["files"]}
        if reported.get(path) != "kept_both":
            raise StudioCollabError("no_conflict", f"The last sync left no conflict in '{path}'.", 409)
        state = resolution_state(wt, sync_id)
        saved = self._entries(state[1]) if state else []
        touched = set(meta["touched"]) | {_entry_path(e) for e in saved}
        expected = state[0] if state else wt.out("rev-parse", f"{commit}^{{tree}}:after").strip()
        if self.recorder.snapshot(touched) != expected:
            now = self.recorder.snapshot(touched)
            differing = [p for p in wt.out("diff-tree", "-r", "--name-only", "-z", expected, now).split("\0") if p]
            if path in differing or self._beside(meta, path, touched) in differing:
                raise StudioCollabError(
                    "changed_since_sync",
                    f"'{path}' changed since the sync, so choosing a side "
                    "would overwrite your edits. Nothing was changed; edit it yourself.",
                    409,
                )
        if path not in touched:  # a binary the sync kept whole (upstream's beside it): the resolve saves it first
            saved += self._entries(self.recorder.snapshot({path}))
            touched.add(path)
        current = self._blob_at(expected, path)
        if current is None and (wt.path / path).is_file() and not (wt.path / path).is_symlink():
            current = (wt.path / path).read_bytes()
        if current is None:
            raise StudioCollabError("changed_since_sync", f"'{path}' is gone since the sync. Nothing was changed.", 409)
        beside = self._beside(meta, path, touched)
        if beside is not None and self._blob_at(expected, beside) is None:
            beside = None  # resolved already: upstream's copy is gone
        left = 0
        if is_notebook(path) and CONFLICT_KEY.encode() in current:
            data, left = self._resolve_cells(current, keep, conflict)
            self.wt.write_file(path, data, executable=self._mode(expected, path) == "100755")
        elif is_notebook(path) and beside is None:
            raise StudioCollabError("no_conflict", f"No conflict is left in '{path}'.", 409)
        elif conflict is not None:
            raise StudioCollabError("invalid_request", "Only a notebook's cell conflicts have ids.", 400)
        elif beside is not None:
            if keep == "theirs":
                theirs = self._blob_at(expected, beside)
                if theirs is None:
                    raise StudioCollabError("changed_since_sync", f"'{beside}' is gone since the sync.", 409)
                wt.write_file(path, theirs, executable=self._mode(expected, path) == "100755")
            (wt.path / beside).unlink(missing_ok=True)
        else:
            data = (
                self._blob_at(wt.out("rev-parse", f"{commit}^{{tree}}:before").strip(), path)
                if keep == "mine"
                else self._blob_at(meta["head_after"], path)
            )
            if data is None:
                raise StudioCollabError(
                    "cannot_resolve",
                    f"The sync kept no {'earlier' if keep == 'mine' else 'upstream'}"
                    f" version of '{path}' to go back to; edit it yourself.",
                    409,
                )
            wt.write_file(path, data, executable=self._mode(expected, path) == "100755")
        self._record(
            sync_id,
            expected,
            saved,
            {path} | ({beside} if beside else set()),
            f"{keep} {path}" + (f" {conflict}" if conflict else ""),
        )
        return {
            "path": path,
            "kept": keep,
            "conflict": conflict,
            "conflicts_left": left,
            "removed": beside,
            "sync_id": sync_id,
        }

    # --- notebooks ------------------------------------------------------------------------------------
    @staticmethod
    def _resolve_cells(data: bytes, keep: str, conflict: str | None) -> tuple[bytes, int]:
        notebook = nbformat.reads(data.decode("utf-8"), as_version=nbformat.NO_CONVERT)
        ids = {(_marker(c) or {}).get("id") for c in notebook.cells} - {None}
        if conflict is not None and conflict not in ids:
            raise StudioCollabError("no_conflict", f"No conflict '{conflict}' is left in this notebook.", 409)
        chosen = ids if conflict is None else {conflict}
        drop = {"note", "upstream" if keep == "mine" else "mine"}
        cells = []
        for cell in notebook.cells:
            marker = _marker(cell)
            if marker and marker.get("id") in chosen:
                if marker.get("side") in drop:
                    continue
                studio = cell.metadata[CONFLICT_KEY]
                studio.pop("conflict", None)
                if not studio:
                    del cell.metadata[CONFLICT_KEY]
            cells.append(cell)
        notebook.cells = cells
        nbformat.validate(notebook)
        left = len(ids - chosen)
        return (nbformat.writes(notebook) + "\n").encode("utf-8"), left

    # --- helpers --------------------------------------------------------------------------------------
    def _beside(self, meta: dict, path: str, touched: set[str]) -> str | None:
        """Upstream's copy the sync saved beside ``path`` (``name.upstream-<sha7>[-n].ext``), if it did."""
        pure = PurePosixPath(path)
        stem = pure.name[: -len(pure.suffix)] if pure.suffix else pure.name
        prefix = str(pure.with_name(f"{stem}.upstream-{(meta['head_after'] or '')[:7]}"))
        reported = {f["path"] for f in meta["files"]}
        found = sorted(
            p for p in touched if p.startswith(prefix) and p not in reported and p.endswith(pure.suffix) and p != path
        )
        return found[0] if found else None

    def _blob_at(self, tree_ish: str | None, path: str) -> bytes | None:
        if not tree_ish:
            return None
        result = self.wt.run("cat-file", "blob", f"{tree_ish}:{path}", check=False, stdout_bytes=True)
        return result.stdout if result.returncode == 0 else None

    def _mode(self, tree_ish: str, path: str) -> str:
        line = self.wt.out("ls-tree", "-z", tree_ish, "--", path).split("\0")[0]
        return line.split()[0] if line else "100644"

    def _entries(self, tree: str) -> list[str]:
        return [e for e in self.wt.out("ls-tree", "-r", "-z", "--full-tree", tree).split("\0") if e]

    def _tree_of(self, entries: list[str]) -> str:
        return tree_of(self.wt, [_index_line(e) for e in entries])

    def _record(self, sync_id: str, expected: str, saved: list[str], changed: set[str], what: str) -> None:
        """The expected tree with only the resolved files replaced: the user's other edits since the sync stay
        "changed since the sync", so undo still refuses to overwrite them."""
        wt = self.wt
        entries = [e for e in self._entries(expected) if _entry_path(e) not in changed]
        entries += self._entries(self.recorder.snapshot(changed))
        tree = wt.run(
            "mktree",
            "-z",
            input="".join(
                f"040000 tree {oid}\t{name}\0"
                for name, oid in (("left", self._tree_of(entries)), ("saved", self._tree_of(saved)))
            ).encode(),
        ).stdout.strip()
        previous = wt.rev(RESOLUTIONS + sync_id)
        parents = ["-p", previous] if previous else []
        commit = wt.run(
            "commit-tree",
            tree,
            *parents,
            "-F",
            "-",
            env=IDENTITY,
            input=f"studio-collab resolve {sync_id}\n\n{json.dumps({'resolved': what})}\n".encode(),
        ).stdout.strip()
        wt.run("update-ref", RESOLUTIONS + sync_id, commit, previous or _ZERO)


def _marker(cell) -> dict | None:
    studio = cell.get("metadata", {}).get(CONFLICT_KEY)
    return studio.get("conflict") if isinstance(studio, dict) else None


def _index_line(ls_tree_entry: str) -> str:
    """``<mode> blob <oid>\t<path>`` (ls-tree) as ``<mode> <oid>\t<path>`` (update-index --index-info)."""
    meta, path = ls_tree_entry.split("\t", 1)
    mode, _, oid = meta.split()
    return f"{mode} {oid}\t{path}"


def _entry_path(ls_tree_entry: str) -> str:
    return ls_tree_entry.split("\t", 1)[1]
