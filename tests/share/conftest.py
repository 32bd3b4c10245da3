"""Share fixtures: a folder store per test, notebooks of any size, the running server's ShareService."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest


def make_notebook(path: Path, cells: int = 3, output_bytes: int = 0) -> Path:
    """A valid notebook with executed code cells; ``output_bytes`` of stream output spread over the cells."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    per_cell = output_bytes // max(cells, 1)
    for index in range(cells):
        outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * per_cell)] if per_cell else []
        cell = nbformat.v4.new_code_cell(f"print({index})", execution_count=index + 1, outputs=outputs)
        cell.metadata["execution"] = {"iopub.status.idle": "2026-11-26T10:02:00Z"}
        notebook.cells.append(cell)
    notebook.cells.append(nbformat.v4.new_markdown_cell("# Notes"))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def share_folder(tmp_path) -> Path:
    return tmp_path / "share-store"


@pytest.fixture
def studio_collab_config(share_folder) -> dict:
    return {"share_store": "folder", "share_folder": str(share_folder)}


@pytest.fixture
def share_service(jp_serverapp):
    app = next(iter(jp_serverapp.extension_manager.extension_apps["studio_collab"]))
    return app.core.share


async def fetch_json(jp_fetch, *parts, method="GET", body=None, **kwargs):
    response = await jp_fetch(
        "studio-collab", *parts, method=method, body=None if body is None else json.dumps(body), **kwargs
    )
    return response.code, json.loads(response.body)


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
