"""Sync through the REST API against the world's HTTPS git server: preview changes nothing, the sync carries
the user's work, the history lists it and undo restores the exact prior state."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.git.test_routes import SECRET, by_name, error_of, post, repos, studio_collab_config, wait_job  # noqa: F401
from tests.helpers import until

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
    return {
        "head": git("rev-parse", "HEAD"),
        "index": git("ls-files", "-s"),
        "files": files,
        "log": git("log", "--format=%H %an", "HEAD"),
    }


@pytest.mark.git_config(repositories=lambda w: [{"url": w.repo_url("team-notebooks"), "branch": "main"}])
async def test_preview_then_sync_then_undo_through_the_api(world_env, jp_fetch, jp_root_dir, openapi_validator):
    repo = by_name(await repos(jp_fetch), "team-notebooks")
    assert (await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"]))[
        "state"
    ] == "succeeded"
    folder = jp_root_dir / "team-notebooks"
    (folder / "README.md").write_text("my notes\n")
    (folder / "SYNCED.md").write_text("my own SYNCED.md\n")  # untracked, upstream is about to add one
    world_env.repos.commit("team-notebooks", {"SYNCED.md": "from upstream\n"}, "Add SYNCED.md")
    before = snapshot(folder)

    code, body = await error_of(
        jp_fetch("studio-collab", "repos", repo["id"], "sync", method="POST", body=json.dumps({"choice": "octopus"}))
    )
    assert code == 400 and body["code"] == "invalid_request"

    preview = await wait_job(
        jp_fetch, (await post(jp_fetch, "repos", repo["id"], "sync", body={"preview": True}))["id"]
    )
    assert preview["state"] == "succeeded", preview
    openapi_validator.validate("get", f"/jobs/{preview['id']}", 200, {"job": preview})
    assert preview["result"]["preview"] is True and snapshot(folder) == before
    assert {(f["outcome"], f.get("from", f["path"])) for f in preview["result"]["files"]} == {
        ("updated", "SYNCED.md"),
        ("renamed", "SYNCED.md"),
    }

    job = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "sync"))["id"])
    assert job["state"] == "succeeded", job
    result = job["result"]
    assert (folder / "SYNCED.md").read_text() == "from upstream\n"
    assert (folder / "README.md").read_text() == "my notes\n"
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


def terminal_env(world_env) -> dict:
    """A terminal in the space: the user's environment (AWS credentials of the space), no studio-collab askpass."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "SSH_ASKPASS"}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_SSL_CAINFO=os.environ["GIT_SSL_CAINFO"])
    return env


@pytest.mark.git_config(repositories=lambda w: [{"url": w.repo_url("feature-store"), "credentials_secret": SECRET}])
async def test_a_terminal_git_fetch_of_a_private_repo_works_through_the_credential_helper(
    world_env, jp_fetch, jp_root_dir, caplog
):
    import logging

    caplog.set_level(logging.DEBUG)
    token = world_env.git_token
    repo = by_name(await repos(jp_fetch), "feature-store")
    assert repo["private"] is True
    job = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"])
    assert job["state"] == "succeeded", job
    folder = jp_root_dir / "feature-store"
    config = (folder / ".git" / "config").read_text()
    assert "studio_collab.git.credential_helper" in config and token not in config
    world_env.repos.commit("feature-store", {"from-terminal.md": "new\n"}, "for the terminal")
    fetched = subprocess.run(
        ["git", "fetch", "origin"], cwd=folder, env=terminal_env(world_env), capture_output=True, text=True, timeout=60
    )
    assert fetched.returncode == 0, fetched.stderr
    assert (
        "from-terminal.md"
        in subprocess.run(
            ["git", "ls-tree", "-r", "--name-only", "origin/main"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    # without the helper the same fetch is refused: the helper, not a stored token, made it work
    refused = subprocess.run(
        ["git", "-c", "credential.helper=", "fetch", "origin"],
        cwd=folder,
        env=terminal_env(world_env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0
    stored = [p for p in folder.rglob("*") if p.is_file() and token.encode() in p.read_bytes()]
    assert stored == [] and token not in fetched.stderr + fetched.stdout + caplog.text
    # a request for another host gets no answer
    other = subprocess.run(
        ["git", "credential", "fill"],
        cwd=folder,
        env=terminal_env(world_env),
        text=True,
        input="protocol=https\nhost=evil.example.com\n\n",
        capture_output=True,
        timeout=60,
    )
    assert token not in other.stdout


async def dirty_of(jp_fetch, repo_id: str) -> int:
    body = json.loads((await jp_fetch("studio-collab", "repos")).body)
    return next(r for r in body["repos"] if r["id"] == repo_id)["status"]["dirty"]


@pytest.mark.git_config(
    repositories=lambda w: [{"url": w.repo_url("team-notebooks"), "branch": "main", "target": "status-check"}]
)
async def test_status_is_fresh_after_a_save_and_jupyters_own_files_never_count(
    world_env, jp_fetch, jp_root_dir, monkeypatch
):
    from studio_collab.git import service

    # A remembered status outlives the whole test: a fresh one can only come from the save itself, never from
    # the memory running out (the product keeps it 3 s), so no clock decides this test.
    monkeypatch.setattr(service, "_STATUS_TTL", 3600.0)
    repo = by_name(await repos(jp_fetch), "team-notebooks")
    assert (await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"]))[
        "state"
    ] == "succeeded"
    assert await dirty_of(jp_fetch, repo["id"]) == 0  # remembered from here on
    # a notebook opened, checkpointed and saved unchanged: Jupyter's own bookkeeping, not a change
    model = json.loads((await jp_fetch("api", "contents", "status-check", "explore.ipynb")).body)
    await jp_fetch("api", "contents", "status-check", "explore.ipynb", "checkpoints", method="POST", body="")
    await jp_fetch(
        "api",
        "contents",
        "status-check",
        "explore.ipynb",
        method="PUT",
        body=json.dumps({"type": "notebook", "format": "json", "content": model["content"]}),
    )
    assert (jp_root_dir / "status-check" / ".ipynb_checkpoints").is_dir()
    assert await dirty_of(jp_fetch, repo["id"]) == 0
    # a real edit saved through the contents API shows at once, though the last status is still remembered
    await jp_fetch(
        "api",
        "contents",
        "status-check",
        "README.md",
        method="PUT",
        body=json.dumps({"type": "file", "format": "text", "content": "edited in Jupyter\n"}),
    )

    async def dirty_is(count: int) -> bool:
        return await dirty_of(jp_fetch, repo["id"]) == count

    await until(lambda: dirty_is(1), timeout=60, what="the status to follow the save (1 changed file)")
    # a real change to the notebook counts
    model["content"]["cells"][0]["source"] = "# changed in Jupyter"
    await jp_fetch(
        "api",
        "contents",
        "status-check",
        "explore.ipynb",
        method="PUT",
        body=json.dumps({"type": "notebook", "format": "json", "content": model["content"]}),
    )
    await until(lambda: dirty_is(2), timeout=60, what="a changed notebook to count (2 changed files)")


@pytest.mark.git_config(repositories=lambda w: [{"url": w.repo_url("cancel-sync"), "branch": "main"}])
async def test_cancel_mid_fetch_leaves_the_repository_exactly_as_it_was(world_env, jp_fetch, jp_root_dir):
    import base64
    import random

    if not world_env.repos.bare_path("cancel-sync").exists():
        world_env.repos.create("cancel-sync", template="notebooks", commits=1)
    repo = by_name(await repos(jp_fetch), "cancel-sync")
    assert (await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"]))[
        "state"
    ] == "succeeded"
    folder = jp_root_dir / "cancel-sync"
    (folder / "mine.txt").write_text("my untracked work\n")
    rng = random.Random(5)
    world_env.repos.commit(
        "cancel-sync",
        {f"big/{i}.txt": base64.b64encode(rng.randbytes(20_000)).decode() for i in range(20)},
        "a slow fetch",
    )
    before = snapshot(folder)
    world_env.git_faults(rate_limit_bps=2000)  # until the test ends (the fixture clears it)
    job = await post(jp_fetch, "repos", repo["id"], "sync")

    async def fetching() -> bool:
        now = json.loads((await jp_fetch("studio-collab", "jobs", job["id"])).body)["job"]
        assert now["state"] in ("queued", "running"), now
        return now["progress"] >= 0.01  # "Fetching" is reported as git fetch starts

    await until(fetching, what="the sync's fetch under way")
    await jp_fetch("studio-collab", "jobs", job["id"], method="DELETE")
    final = await wait_job(jp_fetch, job["id"])
    assert final["state"] == "cancelled", final
    assert snapshot(folder) == before
    assert not (folder / ".git" / "index.lock").exists()
