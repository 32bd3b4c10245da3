"""Sync through the REST API against the world's HTTPS git server: preview changes nothing, the sync carries
the user's work, the history lists it and undo restores the exact prior state."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.git.test_routes import by_name, error_of, post, repos, studio_collab_config, wait_job  # noqa: F401

pytestmark = pytest.mark.world


def snapshot(folder) -> dict:
    """HEAD, index and every work-tree file's bytes, read with git and the file system."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout

    files = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel == ".git" or rel.startswith(".git/"):
            continue
        if path.is_symlink():
            files[rel] = os.readlink(path)
        elif path.is_file():
            files[rel] = (path.stat().st_mode, path.read_bytes())
    return {"head": git("rev-parse", "HEAD"), "index": git("ls-files", "-s"), "files": files,
            "log": git("log", "--format=%H %an", "HEAD")}


@pytest.mark.git_config(repositories=lambda w: [{"url": w.repo_url("team-notebooks"), "branch": "main"}])
async def test_preview_then_sync_then_undo_through_the_api(world_env, jp_fetch, jp_root_dir, openapi_validator):
    repo = by_name(await repos(jp_fetch), "team-notebooks")
    assert (await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"]))["state"] == \
        "succeeded"
    folder = jp_root_dir / "team-notebooks"
    (folder / "README.md").write_text("my notes\n")
    (folder / "SYNCED.md").write_text("my own SYNCED.md\n")  # untracked, upstream is about to add one
    world_env.repos.commit("team-notebooks", {"SYNCED.md": "from upstream\n"}, "Add SYNCED.md")
    before = snapshot(folder)

    code, body = await error_of(jp_fetch("studio-collab", "repos", repo["id"], "sync", method="POST",
                                         body=json.dumps({"choice": "octopus"})))
    assert code == 400 and body["code"] == "invalid_request"

    preview = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "sync",
                                                   body={"preview": True}))["id"])
    assert preview["state"] == "succeeded", preview
    openapi_validator.validate("get", f"/jobs/{preview['id']}", 200, {"job": preview})
    assert preview["result"]["preview"] is True and snapshot(folder) == before
    assert {(f["outcome"], f.get("from", f["path"])) for f in preview["result"]["files"]} == \
        {("updated", "SYNCED.md"), ("renamed", "SYNCED.md")}

    job = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "sync"))["id"])
    assert job["state"] == "succeeded", job
    result = job["result"]
    assert (folder / "SYNCED.md").read_text() == "from upstream\n" and (folder / "README.md").read_text() == "my notes\n"
    aside = next(f for f in result["files"] if f["outcome"] == "renamed")
    assert (folder / aside["path"]).read_text() == "my own SYNCED.md\n"
    assert "studio-collab" not in snapshot(folder)["log"]

    listed = json.loads((await jp_fetch("studio-collab", "repos", repo["id"], "syncs")).body)
    openapi_validator.validate("get", f"/repos/{repo['id']}/syncs", 200, listed)
    assert listed["syncs"][0]["id"] == result["undo"] and listed["syncs"][0]["undoable"] is True

    undo = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "syncs", result["undo"], "undo"))["id"])
    assert undo["state"] == "succeeded", undo
    assert snapshot(folder) == before
    again = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "syncs", result["undo"], "undo"))["id"])
    assert again["state"] == "failed" and again["error"]["code"] == "sync_not_found"
    listed = json.loads((await jp_fetch("studio-collab", "repos", repo["id"], "syncs")).body)
    assert listed["syncs"] == []
