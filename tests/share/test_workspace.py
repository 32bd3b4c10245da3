"""The files side of sharing: which paths may be shared, outputs cleared, imports that never overwrite."""

from __future__ import annotations

import json
import os
import threading

import nbformat
import pytest

from studio_collab.errors import StudioCollabError
from studio_collab.share import workspace
from tests.share.conftest import make_notebook


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    return root.resolve()


def test_resolves_a_file_under_the_root(root):
    make_notebook(root / "project" / "train.ipynb")
    source = workspace.resolve_source(root, "/project/train.ipynb", 1 << 20)
    assert source.relative == "project/train.ipynb"
    assert source.size == (root / "project" / "train.ipynb").stat().st_size


@pytest.mark.parametrize(
    "requested,code",
    [
        ("../outside.ipynb", "path_outside_root"),
        ("project/../../outside.ipynb", "path_outside_root"),
        ("escape.ipynb", "path_outside_root"),  # a symlink to a file outside the root
        ("escape-dir/secret.ipynb", "path_outside_root"),  # through a symlinked directory
        ("missing.ipynb", "path_not_found"),
        ("project", "not_a_file"),
        ("", "invalid_path"),
        ("/", "invalid_path"),
        ("a\x00b", "invalid_path"),
        (None, "invalid_path"),
    ],
)
def test_refuses_paths_that_are_not_a_file_under_the_root(root, tmp_path, requested, code):
    outside = make_notebook(tmp_path / "outside.ipynb")
    (tmp_path / "secret-dir").mkdir()
    make_notebook(tmp_path / "secret-dir" / "secret.ipynb")
    (root / "project").mkdir()
    (root / "escape.ipynb").symlink_to(outside)
    (root / "escape-dir").symlink_to(tmp_path / "secret-dir")
    with pytest.raises(StudioCollabError) as err:
        workspace.resolve_source(root, requested, 1 << 20)
    assert err.value.code == code


@pytest.mark.parametrize("requested", ["alias.ipynb", "alias-dir/real.ipynb"])
def test_a_symlink_that_stays_inside_the_root_is_named_not_followed(root, requested):
    """Issue #15: a link is reported as a link (even one inside the root), never shared as its target."""
    make_notebook(root / "project" / "real.ipynb")
    (root / "alias.ipynb").symlink_to(root / "project" / "real.ipynb")
    (root / "alias-dir").symlink_to(root / "project")
    with pytest.raises(StudioCollabError) as err:
        workspace.resolve_source(root, requested, 1 << 20)
    assert (err.value.code, err.value.status) == ("is_symlink", 400)
    assert requested.split("/")[0] in err.value.message
    assert workspace.resolve_source(root, "project/real.ipynb", 1 << 20).relative == "project/real.ipynb"


def test_a_shared_path_that_is_a_file_or_an_inside_link_is_a_409_with_the_next_step(root, tmp_path):
    (root / "shared").write_text("not a folder")
    with pytest.raises(StudioCollabError) as err:
        workspace.land(root, _downloaded(tmp_path, b"x"), "alice", "train.ipynb")
    assert (err.value.code, err.value.status) == ("landing_not_a_folder", 409)
    assert "Rename or move that file" in err.value.message
    assert (root / "shared").read_text() == "not a folder"
    (root / "shared").unlink()
    (root / "elsewhere").mkdir()
    (root / "shared").symlink_to(root / "elsewhere")
    with pytest.raises(StudioCollabError) as err:
        workspace.land(root, _downloaded(tmp_path, b"y"), "alice", "train.ipynb")
    assert (err.value.code, err.value.status) == ("landing_is_symlink", 409)
    assert list((root / "elsewhere").iterdir()) == []


def test_size_limit(root):
    make_notebook(root / "big.ipynb", output_bytes=50_000)
    with pytest.raises(StudioCollabError) as err:
        workspace.resolve_source(root, "big.ipynb", 10_000)
    assert (err.value.code, err.value.status) == ("share_too_large", 413)


def test_without_outputs_clears_outputs_and_counts_and_stays_valid(root):
    make_notebook(root / "run.ipynb", output_bytes=3000)
    source = workspace.resolve_source(root, "run.ipynb", 1 << 20)
    stripped = nbformat.reads(workspace.notebook_without_outputs(source).decode(), as_version=4)
    nbformat.validate(stripped)
    code_cells = [c for c in stripped.cells if c.cell_type == "code"]
    assert len(code_cells) == 3
    assert all(c.outputs == [] and c.execution_count is None and "execution" not in c.metadata for c in code_cells)
    assert [c.source for c in code_cells] == ["print(0)", "print(1)", "print(2)"]
    assert stripped.cells[-1].source == "# Notes"


@pytest.mark.parametrize(
    "content,reason",
    [
        (b"{ not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (
            json.dumps({"cells": "nope", "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode(),
            "not a valid notebook",
        ),
        (json.dumps([1, 2, 3]).encode(), "not a valid notebook"),
    ],
)
def test_an_invalid_notebook_cannot_be_shared_without_outputs(root, content, reason):
    (root / "broken.ipynb").write_bytes(content)
    source = workspace.resolve_source(root, "broken.ipynb", 1 << 20)
    with pytest.raises(StudioCollabError) as err:
        workspace.snapshot_reader(source, include_outputs=False)
    assert (err.value.code, err.value.status) == ("invalid_notebook", 400)
    assert reason in err.value.message
    # With outputs the file is shared byte for byte, whatever it holds.
    with workspace.snapshot_reader(source, include_outputs=True) as reader:
        assert reader.read() == content


def test_a_symlink_swapped_in_after_the_check_is_not_followed(root, tmp_path):
    make_notebook(root / "nb.ipynb")
    source = workspace.resolve_source(root, "nb.ipynb", 1 << 20)
    (root / "nb.ipynb").unlink()
    (root / "nb.ipynb").symlink_to(make_notebook(tmp_path / "outside.ipynb"))
    with pytest.raises(StudioCollabError):
        workspace.open_source(source)


def _downloaded(tmp_path, content: bytes):
    handle, path = workspace.download_target()
    with handle:
        handle.write(content)
    return path


def test_landing_never_overwrites(root, tmp_path):
    download = _downloaded(tmp_path, b"one")
    first = workspace.land(root, download, "alice", "train.ipynb")
    assert not download.exists(), "landing consumes the temp download"
    (root / "shared" / "alice" / "train (2).ipynb").write_bytes(b"mine, not an import")
    second = workspace.land(root, _downloaded(tmp_path, b"two"), "alice", "train.ipynb")
    third = workspace.land(root, _downloaded(tmp_path, b"three"), "alice", "train.ipynb")
    assert (first, second, third) == (
        "shared/alice/train.ipynb",
        "shared/alice/train (3).ipynb",
        "shared/alice/train (4).ipynb",
    )
    assert (root / "shared/alice/train.ipynb").read_bytes() == b"one"
    assert (root / "shared/alice/train (2).ipynb").read_bytes() == b"mine, not an import"
    assert (root / first).stat().st_mode & 0o777 == 0o644


def test_landing_names_hidden_and_extensionless_files(root, tmp_path):
    assert workspace.land(root, _downloaded(tmp_path, b"a"), "bob", ".env") == "shared/bob/env"
    assert workspace.land(root, _downloaded(tmp_path, b"b"), "bob", "Makefile") == "shared/bob/Makefile"
    assert workspace.land(root, _downloaded(tmp_path, b"c"), "bob", "Makefile") == "shared/bob/Makefile (2)"
    assert workspace.land(root, _downloaded(tmp_path, b"d"), "bob", "a.tar.gz") == "shared/bob/a.tar.gz"
    assert workspace.land(root, _downloaded(tmp_path, b"e"), "bob", "a.tar.gz") == "shared/bob/a.tar (2).gz"


def test_concurrent_landings_get_distinct_names(root, tmp_path):
    downloads = [_downloaded(tmp_path, str(i).encode()) for i in range(12)]
    results: list[str] = []
    barrier = threading.Barrier(len(downloads))

    def land(path):
        barrier.wait()
        results.append(workspace.land(root, path, "alice", "train.ipynb"))

    threads = [threading.Thread(target=land, args=(p,)) for p in downloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 12
    assert sorted((root / r).read_bytes() for r in results) == sorted(str(i).encode() for i in range(12))


def test_a_shared_folder_linking_outside_the_root_is_refused(root, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (root / "shared").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(StudioCollabError) as err:
        workspace.land(root, _downloaded(tmp_path, b"x"), "alice", "train.ipynb")
    assert err.value.code == "path_outside_root"
    assert not any(p.is_file() for p in (tmp_path / "elsewhere").rglob("*"))


def test_cross_device_landing_copies_then_links(root, tmp_path, monkeypatch):
    """When the temp dir is on another file system, the copy is staged beside the target, then linked."""
    real_link = os.link

    def link(source, target):
        if not str(source).startswith(str(root)):
            raise OSError(18, "Invalid cross-device link")  # EXDEV
        return real_link(source, target)

    monkeypatch.setattr(os, "link", link)
    landed = workspace.land(root, _downloaded(tmp_path, b"payload"), "alice", "x.ipynb")
    assert (root / landed).read_bytes() == b"payload"
    assert [p.name for p in (root / "shared" / "alice").iterdir()] == ["x.ipynb"]  # no staged leftovers
