"""Notebooks are JSON: a line merge of two edited notebooks can be broken JSON even without a conflict.

So sync never text-merges a notebook both sides changed: the user's copy stays whole and upstream's is
saved beside it, under a name that says where it came from.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath


def is_notebook(path: str) -> bool:
    return path.lower().endswith(".ipynb")


def notebook_problem(data: bytes | None) -> str | None:
    """None for a valid nbformat notebook, else a short reason."""
    if data is None:
        return "missing"
    import nbformat  # lazy: nbformat pulls in jsonschema

    try:
        notebook = nbformat.reads(data.decode("utf-8"), as_version=nbformat.NO_CONVERT)
        nbformat.validate(notebook)
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except Exception as err:  # noqa: BLE001 - NotJSONError, ValidationError, version errors: all "invalid"
        return type(err).__name__
    return None


def beside_name(root: Path, path: str, tag: str) -> str:
    """A free sibling name like ``analysis.upstream-1a2b3c4.ipynb`` (``-2``, ``-3``… when taken)."""
    pure = PurePosixPath(path)
    stem, suffix = pure.name[: -len(pure.suffix)] if pure.suffix else pure.name, pure.suffix
    for n in range(1, 1000):
        name = f"{stem}.{tag}{'' if n == 1 else f'-{n}'}{suffix}"
        candidate = str(pure.with_name(name))
        if not (root / candidate).exists():
            return candidate
    raise FileExistsError(path)
