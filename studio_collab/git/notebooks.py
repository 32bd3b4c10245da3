"""Notebooks are merged as notebooks, never as text (a line merge of two edited notebooks can be broken JSON).

The merge is nbdime's three-way, cell-level merge with transient fields (execution counts, outputs'
execution counts, scroll state) ignored. Where both sides changed the same thing, nbdime is told to keep the
user's side; every place where that dropped an upstream change *to a cell* (its source, type or
attachments, or the whole cell) is then undone by putting upstream's version of that cell right after the
user's, both marked: for people a markdown note above the pair, for programs each cell's metadata
``studio_collab.conflict = {"side": "mine"|"upstream"|"note", "id": <conflict id>}``. Output and metadata
churn never conflicts: the user's side wins there silently, as a re-run would overwrite it anyway.
"""

from __future__ import annotations

import argparse
import copy
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

CONFLICT_KEY = "studio_collab"
_MERGE_ARGS = argparse.Namespace(
    merge_strategy="use-local", input_strategy=None, output_strategy=None, ignore_transients=True, log_level="WARNING"
)
_CHURN_FIELDS = {"outputs", "metadata", "execution_count", "id"}  # never a conflict people must resolve


def is_notebook(path: str) -> bool:
    return path.lower().endswith(".ipynb")


def notebook_problem(data: bytes | None) -> str | None:
    """None for a valid nbformat notebook, else a short reason."""
    try:
        _parse(data)
    except NotebookInvalid as err:
        return err.reason
    return None


class NotebookInvalid(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _parse(data: bytes | None):
    if data is None:
        raise NotebookInvalid("missing")
    import nbformat  # lazy: nbformat pulls in jsonschema

    captured: dict = {}
    try:  # reads validates once; the error is captured instead of only logged
        notebook = nbformat.reads(
            data.decode("utf-8"), as_version=nbformat.NO_CONVERT, capture_validation_error=captured
        )
    except UnicodeDecodeError as err:
        raise NotebookInvalid("not UTF-8 text") from err
    except Exception as err:  # noqa: BLE001 - NotJSONError, ValidationError, version errors: all "invalid"
        raise NotebookInvalid(type(err).__name__) from err
    if captured:
        raise NotebookInvalid(
            type(captured.get("ValidationError")).__name__ if captured.get("ValidationError") else "ValidationError"
        )
    if notebook.get("nbformat") != 4:
        raise NotebookInvalid(f"nbformat {notebook.get('nbformat')} (only 4 is merged)")
    return notebook


def same_notebook(a: bytes | None, b: bytes | None) -> bool:
    """Equal as notebooks (a save by Jupyter that only re-serialised or bumped transients is no change)."""
    if a == b:
        return True
    try:
        first, second = _parse(a), _parse(b)
    except NotebookInvalid:
        return False
    return _essence(first) == _essence(second)


def _essence(notebook) -> list:
    return [(c.get("cell_type"), _source(c), c.get("outputs"), c.get("attachments")) for c in notebook.cells] + [
        _without(notebook.get("metadata", {}), ("widgets",))
    ]


def _without(mapping: dict, keys: tuple) -> dict:
    return {k: v for k, v in mapping.items() if k not in keys}


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


@dataclass
class NotebookMerge:
    data: bytes
    conflicts: int = 0
    cells: list[dict] = field(default_factory=list)  # what upstream did to each cell it touched


def merge_notebooks(base: bytes | None, mine: bytes, upstream: bytes, upstream_label: str) -> NotebookMerge:
    """Three-way merge; raises :class:`NotebookInvalid` when any side cannot be parsed (the caller then keeps
    both files whole). ``base`` None: both sides added the notebook (merged against an empty one)."""
    import nbformat
    from nbdime.diffing.notebooks import diff_notebooks
    from nbdime.merging.decisions import apply_decisions
    from nbdime.merging.generic import decide_merge_with_diff
    from nbdime.merging.notebooks import notebook_merge_strategies

    local, remote = _parse(mine), _parse(upstream)
    if base is None:
        original = nbformat.v4.new_notebook()
        original.nbformat_minor = min(local.nbformat_minor, remote.nbformat_minor)
    else:
        original = _parse(base)
    # nbdime's merge_notebooks, step by step, so its two diffs also give the cell maps below
    local_diff, remote_diff = diff_notebooks(original, local), diff_notebooks(original, remote)
    decisions = decide_merge_with_diff(
        original, local, remote, local_diff, remote_diff, notebook_merge_strategies(_MERGE_ARGS)
    )
    merged = apply_decisions(original, decisions)
    local_map = _cell_map(local_diff, len(original.cells))
    remote_map = _cell_map(remote_diff, len(original.cells))

    dropped_cells: set[int] = set()  # base cells whose upstream change the use-local strategy dropped
    dropped_inserts: list[tuple[int, list]] = []  # (base position, upstream's new cells) dropped likewise
    for decision in decisions:
        if decision.get("action") != "local" or not decision.get("remote_diff"):
            continue
        path = tuple(decision["common_path"])
        if not path or path[0] != "cells":
            continue  # notebook metadata: churn, the user's side wins
        if len(path) >= 2:
            if len(path) == 2 or path[2] not in _CHURN_FIELDS:
                dropped_cells.add(path[1])
            continue
        for op in decision["remote_diff"]:
            if op["op"] == "addrange":
                dropped_inserts.append((op["key"], op["valuelist"]))
            elif op["op"] == "patch" and _touches_content(op["diff"]):
                dropped_cells.add(op["key"])

    conflicts = 0
    ids_in_use = {c.get("id") for c in merged.cells}
    for k in sorted(dropped_cells, reverse=True):
        theirs = remote.cells[remote_map[k]] if remote_map.get(k) is not None else None
        ours = local.cells[local_map[k]] if local_map.get(k) is not None else None
        if theirs is None or (
            ours is not None and _source(ours) == _source(theirs) and ours.get("cell_type") == theirs.get("cell_type")
        ):
            continue
        position = _merged_position(merged, ours)
        if position is None:  # the user deleted this cell: upstream's edit goes where it was
            position = _insert_after(merged, local, local_map, k)
            kept = None
        else:
            kept = merged.cells[position]
            position += 1
        conflicts += 1
        _insert_conflict(
            merged,
            position,
            kept,
            [theirs],
            ids_in_use,
            conflicts,
            upstream_label,
            "You deleted this cell; upstream changed it."
            if kept is None
            else "You and upstream both changed this cell.",
        )
    for key, new_cells in sorted(dropped_inserts, key=lambda item: item[0], reverse=True):
        sources = {_source(c) for c in merged.cells}
        missing = [c for c in new_cells if _source(c) not in sources]
        if missing:
            conflicts += 1
            _insert_conflict(
                merged,
                _insert_after(merged, local, local_map, key),
                None,
                missing,
                ids_in_use,
                conflicts,
                upstream_label,
                "You and upstream both added cells here.",
            )
    _unique_ids(merged)
    nbformat.validate(merged)  # the promise: never an invalid notebook (raises, so the caller keeps both whole)
    data = nbformat.writes(merged).encode("utf-8") + b"\n"
    return NotebookMerge(data, conflicts, _upstream_cells(original, remote, remote_map, dropped_cells))


def _touches_content(cell_diff: list) -> bool:
    return any(op.get("key") not in _CHURN_FIELDS for op in cell_diff)


def _cell_map(notebook_diff: list, base_count: int) -> dict[int, int | None]:
    """Base cell index -> index of the same cell on the other side (None: deleted there)."""
    ops = next((op["diff"] for op in notebook_diff if op.get("key") == "cells" and op["op"] == "patch"), [])
    mapping: dict[int, int | None] = {}
    removed: set[int] = set()
    added_before: dict[int, int] = {}
    for op in ops:
        if op["op"] == "removerange":
            removed.update(range(op["key"], op["key"] + op["length"]))
        elif op["op"] == "addrange":
            added_before[op["key"]] = added_before.get(op["key"], 0) + len(op["valuelist"])
    other = 0
    for k in range(base_count):
        other += added_before.get(k, 0)
        if k in removed:
            mapping[k] = None
        else:
            mapping[k] = other
            other += 1
    return mapping


def _merged_position(merged, cell) -> int | None:
    if cell is None:
        return None
    for i, candidate in enumerate(merged.cells):
        if cell.get("id") is not None and candidate.get("id") == cell.get("id"):
            return i
    for i, candidate in enumerate(merged.cells):
        if cell.get("id") is None and _source(candidate) == _source(cell):
            return i
    return None


def _insert_after(merged, local, local_map: dict, base_index: int) -> int:
    """Where a cell at ``base_index`` of the base goes: after the nearest earlier base cell the user kept."""
    for k in range(base_index - 1, -1, -1):
        if local_map.get(k) is not None:
            position = _merged_position(merged, local.cells[local_map[k]])
            if position is not None:
                return position + 1
    return 0


def _insert_conflict(
    merged, position: int, kept, theirs: list, ids_in_use: set, number: int, label: str, why: str
) -> None:
    import nbformat

    conflict_id = f"sync-{number}"
    if kept is not None:
        kept.setdefault("metadata", {}).setdefault(CONFLICT_KEY, {})["conflict"] = {"side": "mine", "id": conflict_id}
    copies = []
    for cell in theirs:
        twin = copy.deepcopy(cell)
        if "id" in twin and twin["id"] in ids_in_use:
            twin["id"] = _fresh_id(ids_in_use)
        ids_in_use.add(twin.get("id"))
        twin.setdefault("metadata", {}).setdefault(CONFLICT_KEY, {})["conflict"] = {
            "side": "upstream",
            "id": conflict_id,
        }
        copies.append(twin)
    where = (
        "the cell above is yours and the next one is upstream's"
        if kept is not None
        else "the next cell is upstream's version"
    )
    note = nbformat.v4.new_markdown_cell(
        f"**Sync conflict ({conflict_id})**: {why} Nothing was dropped: {where} (from {label}). Keep one, "
        "delete the other and this note."
    )
    note.metadata[CONFLICT_KEY] = {"conflict": {"side": "note", "id": conflict_id}}
    if "id" not in (kept or theirs[0]):
        note.pop("id", None)
    else:
        note["id"] = _fresh_id(ids_in_use)
        ids_in_use.add(note["id"])
    merged.cells[position:position] = [note, *copies]


def _fresh_id(taken: set) -> str:
    from nbformat.corpus.words import generate_corpus_id

    while True:
        candidate = generate_corpus_id()
        if candidate not in taken:
            return candidate


def _unique_ids(notebook) -> None:
    seen: set = set()
    for cell in notebook.cells:
        if "id" in cell:
            if cell["id"] in seen:
                cell["id"] = _fresh_id(seen)
            seen.add(cell["id"])


def _upstream_cells(original, remote, remote_map: dict, dropped: set[int]) -> list[dict]:
    cells = []
    kept = {v for v in remote_map.values() if v is not None}
    for k, j in remote_map.items():
        if j is None:
            cells.append({"id": original.cells[k].get("id"), "index": k, "change": "removed"})
        elif _source(original.cells[k]) != _source(remote.cells[j]) or original.cells[k].get("outputs") != remote.cells[
            j
        ].get("outputs"):
            cells.append(
                {"id": remote.cells[j].get("id"), "index": j, "change": "kept_both" if k in dropped else "merged"}
            )
    for j, cell in enumerate(remote.cells):
        if j not in kept:
            cells.append({"id": cell.get("id"), "index": j, "change": "added"})
    return cells


def beside_name(root: Path, path: str, tag: str, taken: set[str] | frozenset = frozenset()) -> str:
    """A free sibling name like ``analysis.upstream-1a2b3c4.ipynb`` (``-2``, ``-3``… when taken)."""
    pure = PurePosixPath(path)
    stem, suffix = pure.name[: -len(pure.suffix)] if pure.suffix else pure.name, pure.suffix
    for n in range(1, 1000):
        name = f"{stem}.{tag}{'' if n == 1 else f'-{n}'}{suffix}"
        candidate = str(pure.with_name(name))
        if candidate not in taken and not os.path.lexists(root / candidate):
            return candidate
    raise FileExistsError(path)
