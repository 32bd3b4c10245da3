"""Keep mine / take theirs after a sync left conflicts, through the REST API against the world's HTTPS git
server: judged with git (HEAD, index, log), nbformat and the bytes on disk; Undo sync still restores the state
before the sync after conflicts were resolved."""

from __future__ import annotations

import json
import subprocess

import nbformat
import pytest

from tests.git.test_routes import by_name, error_of, post, repos, studio_collab_config, wait_job  # noqa: F401
from tests.git.test_sync_routes import snapshot

pytestmark = pytest.mark.world

BINARY_BASE, BINARY_MINE, BINARY_THEIRS = b"\0base\0", b"\0mine\0", b"\0theirs\0"


def notebook(*sources: str) -> str:
    """A notebook whose cells keep their ids across versions, as Jupyter keeps them across edits."""
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(source, id=f"cell-{i}") for i, source in enumerate(sources)]
    return nbformat.writes(book)


def git(folder, *args) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout


async def resolve(jp_fetch, repo_id: str, sync_id: str, body: dict) -> dict:
    from tornado.httpclient import HTTPClientError

    try:
        response = await jp_fetch(
            "studio-collab", "repos", repo_id, "syncs", sync_id, "resolve", method="POST", body=json.dumps(body)
        )
    except HTTPClientError as err:
        raise AssertionError(err.response.body) from err
    assert response.code == 200
    return json.loads(response.body)


@pytest.mark.git_config(repositories=lambda w: [{"url": w.repo_url("team-notebooks"), "branch": "main"}])
async def test_keep_mine_and_take_theirs_per_file_and_per_cell_then_undo_sync(
    world_env, jp_fetch, jp_root_dir, openapi_validator
):
    world_env.repos.commit(
        "team-notebooks",
        {
            "conflict.txt": "one\ntwo\nthree\n",
            "analysis.ipynb": notebook("import math", "x = 1", "z = 0", "y = 1"),
            "model.bin": BINARY_BASE,
        },
        "Files both sides will change",
    )
    repo = by_name(await repos(jp_fetch), "team-notebooks")
    assert (await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"]))[
        "state"
    ] == "succeeded"
    folder = jp_root_dir / "team-notebooks"
    (folder / "conflict.txt").write_text("one\nTWO (mine)\nthree\n")
    (folder / "analysis.ipynb").write_text(notebook("import math", "x = 'mine'", "z = 0", "y = 'mine'"))
    (folder / "model.bin").write_bytes(BINARY_MINE)
    world_env.repos.commit(
        "team-notebooks",
        {
            "conflict.txt": "one\nTWO (theirs)\nthree\n",
            "analysis.ipynb": notebook("import math", "x = 'theirs'", "z = 0", "y = 'theirs'"),
            "model.bin": BINARY_THEIRS,
        },
        "Upstream changes the same lines",
    )
    before = snapshot(folder)

    job = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "sync"))["id"])
    assert job["state"] == "succeeded", job
    openapi_validator.validate("get", f"/jobs/{job['id']}", 200, {"job": job})
    result = job["result"]
    files = {f["path"]: f for f in result["files"]}
    assert {p: f["outcome"] for p, f in files.items()} == {
        "conflict.txt": "kept_both",
        "analysis.ipynb": "kept_both",
        "model.bin": "kept_both",
    }
    assert files["analysis.ipynb"]["conflicts"] == 2
    sync_id = result["undo"]
    after_sync = snapshot(folder)
    assert "<<<<<<< yours" in (folder / "conflict.txt").read_text()
    beside = files["model.bin"]["beside"]
    assert (folder / beside).read_bytes() == BINARY_THEIRS

    # Bad input: a clear error, nothing changes.
    for body, status in (
        ({"path": "conflict.txt", "keep": "both"}, 400),
        ({"path": "../x", "keep": "mine"}, 400),
        ({"path": "conflict.txt", "keep": "mine", "conflict": "a b"}, 400),
        ({"path": "README.md", "keep": "mine"}, 409),
    ):
        code, error = await error_of(
            jp_fetch(
                "studio-collab", "repos", repo["id"], "syncs", sync_id, "resolve", method="POST", body=json.dumps(body)
            )
        )
        assert code == status, (body, error)
        openapi_validator.validate("post", f"/repos/{repo['id']}/syncs/{sync_id}/resolve", code, error)
    assert snapshot(folder) == after_sync

    # Text: take theirs is upstream's file exactly; HEAD, index and history untouched.
    answer = await resolve(jp_fetch, repo["id"], sync_id, {"path": "conflict.txt", "keep": "theirs"})
    openapi_validator.validate("post", f"/repos/{repo['id']}/syncs/{sync_id}/resolve", 200, answer)
    assert (
        (folder / "conflict.txt").read_text()
        == git(folder, "show", "HEAD:conflict.txt")
        == "one\nTWO (theirs)\nthree\n"
    )
    now = snapshot(folder)
    assert (now["head"], now["index"], now["log"]) == (after_sync["head"], after_sync["index"], after_sync["log"])

    # Notebook: one conflict keeps mine, the other takes theirs; the note cells go; a valid notebook.
    answer = await resolve(
        jp_fetch, repo["id"], sync_id, {"path": "analysis.ipynb", "keep": "mine", "conflict": "sync-1"}
    )
    assert answer["conflicts_left"] == 1
    book = nbformat.reads((folder / "analysis.ipynb").read_text(), as_version=4)
    left = [c.metadata.get("studio_collab", {}).get("conflict", {}).get("id") for c in book.cells]
    assert "sync-1" not in left and "sync-2" in left
    await resolve(jp_fetch, repo["id"], sync_id, {"path": "analysis.ipynb", "keep": "theirs", "conflict": "sync-2"})
    book = nbformat.reads((folder / "analysis.ipynb").read_text(), as_version=4)
    nbformat.validate(book)
    sources = [c.source for c in book.cells]
    assert sources == ["import math", "x = 'theirs'", "z = 0", "y = 'mine'"]
    assert all("studio_collab" not in c.metadata for c in book.cells)
    code, error = await error_of(
        jp_fetch(
            "studio-collab",
            "repos",
            repo["id"],
            "syncs",
            sync_id,
            "resolve",
            method="POST",
            body=json.dumps({"path": "analysis.ipynb", "keep": "mine", "conflict": "sync-1"}),
        )
    )
    assert code == 409 and error["code"] == "no_conflict"

    # Binary: keep mine removes upstream's copy beside it, the file is the user's bytes.
    await resolve(jp_fetch, repo["id"], sync_id, {"path": "model.bin", "keep": "mine"})
    assert (folder / "model.bin").read_bytes() == BINARY_MINE and not (folder / beside).exists()

    # An edit after the sync is never overwritten.
    (folder / "conflict.txt").write_text("my own resolution\n")
    code, error = await error_of(
        jp_fetch(
            "studio-collab",
            "repos",
            repo["id"],
            "syncs",
            sync_id,
            "resolve",
            method="POST",
            body=json.dumps({"path": "conflict.txt", "keep": "mine"}),
        )
    )
    assert code == 409 and error["code"] == "changed_since_sync"
    assert (folder / "conflict.txt").read_text() == "my own resolution\n"
    undo = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "syncs", sync_id, "undo"))["id"])
    assert undo["state"] == "failed" and undo["error"]["code"] == "changed_since_sync"

    # Put the resolved text back as the resolve left it: Undo sync restores everything before the sync.
    (folder / "conflict.txt").write_text("one\nTWO (theirs)\nthree\n")
    undo = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "syncs", sync_id, "undo"))["id"])
    assert undo["state"] == "succeeded", undo
    assert snapshot(folder) == before
    assert git(folder, "for-each-ref", "refs/studio-collab/resolutions/") == ""
