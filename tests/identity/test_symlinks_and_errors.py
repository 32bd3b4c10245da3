"""No symlink is followed by status, open or share, and a symlink is reported as one (issue #15); the two
robustness cases: an import when 'shared' is a file answers 409 with the next step, and a cancelled S3 upload
leaves no "Task exception was never retrieved". On the world, in alice's private space."""

from __future__ import annotations

import asyncio
import gc
import logging
import subprocess
import time

import pytest

from tests.helpers import until, wait_job
from tests.identity.conftest import as_user, call
from tests.share.conftest import make_notebook

pytestmark = pytest.mark.world

ME = "alice"  # the owner of alice-space: in a private space the viewer whatever the cookie says
GIT_ID = ("-c", "user.name=Upstream", "-c", "user.email=upstream@example.com")


@pytest.fixture
def studio_collab_config(request, world, tmp_path):
    config = {
        "share_folder": str(tmp_path / "share-store"),
        "git_fetch_interval_seconds": 0,
        "git_timeout_seconds": 60,
        "repositories": [
            {"url": world.repo_url("identity-links"), "target": "identity-links"},
            {"url": world.repo_url("team-notebooks"), "target": "team-notebooks"},
        ],
    }
    if request.node.get_closest_marker("s3_store"):
        config.update(
            share_store="s3",
            share_s3_bucket=world.scenario.section("s3_buckets")[0],
            share_s3_prefix=f"identity-{time.monotonic_ns()}/",
        )
    return config


@pytest.fixture
def upstream_with_a_link(world):
    """A repo whose upstream committed a symlink in place of a notebook (and a linked folder)."""
    world.repos.create("identity-links", template="notebooks", commits=1)
    work = world.repos.work_path("identity-links")
    (work / "real.ipynb").write_text(
        (work / next(p.name for p in work.glob("**/*.ipynb"))).read_text() if list(work.glob("**/*.ipynb")) else "{}"
    )
    (work / "alias.ipynb").symlink_to("real.ipynb")
    (work / "notes").mkdir(exist_ok=True)
    (work / "notes" / "a.md").write_text("a\n")
    (work / "notes-link").symlink_to("notes")
    for args in (("add", "-A"), (*GIT_ID, "commit", "-q", "-m", "Links"), ("push", "-q", "origin", "HEAD:main")):
        subprocess.run(["git", *args], cwd=work, check=True, capture_output=True)
    return world


async def repo_id(jp_fetch, name: str) -> str:
    code, body = await call(jp_fetch, "GET", "repos", ME)
    return next(r["id"] for r in body["repos"] if r["name"] == name)


async def clone(jp_fetch, name: str) -> None:
    code, body = await call(jp_fetch, "POST", f"repos/{await repo_id(jp_fetch, name)}/clone", ME)
    assert code == 202, body
    job = await wait_job(jp_fetch, body["job"]["id"], headers=as_user(ME))
    assert job["state"] == "succeeded", job


async def test_a_link_committed_upstream_is_named_by_open_and_share(
    upstream_with_a_link, world_env, jp_fetch, jp_root_dir, tmp_path
):
    await clone(jp_fetch, "identity-links")
    assert (jp_root_dir / "identity-links" / "alias.ipynb").is_symlink()  # git itself checked out a link
    rid = await repo_id(jp_fetch, "identity-links")
    for path in ("alias.ipynb", "notes-link/a.md"):
        code, body = await call(jp_fetch, "GET", "open", ME, repo=rid, path=path)
        assert (code, body["code"]) == (400, "is_symlink") and path.split("/")[0] in body["message"], body
        code, body = await call(
            jp_fetch, "POST", "shares", ME, body={"path": f"identity-links/{path}", "target_space": "team-space"}
        )
        assert (code, body["code"]) == (400, "is_symlink"), body
    assert not (tmp_path / "share-store" / "shares").exists() or not list(
        (tmp_path / "share-store" / "shares").iterdir()
    )
    code, page = await call(jp_fetch, "GET", "open", ME, repo=rid, path="real.ipynb")
    assert code == 200  # the file itself opens (the page is HTML: no JSON body)


async def test_status_reports_a_linked_target_as_a_link(world_env, jp_fetch, jp_root_dir):
    await clone(jp_fetch, "team-notebooks")
    (jp_root_dir / "team-notebooks").rename(jp_root_dir / "elsewhere")
    (jp_root_dir / "team-notebooks").symlink_to(jp_root_dir / "elsewhere")  # inside the root, a clone of it
    code, body = await call(jp_fetch, "GET", "repos", ME)
    row = next(r for r in body["repos"] if r["name"] == "team-notebooks")
    assert row["state"] == "error" and row["error"]["code"] == "is_symlink" and row["status"] is None, row
    for verb in ("clone", "sync"):
        code, body = await call(jp_fetch, "POST", f"repos/{row['id']}/{verb}", ME)
        assert (code, body["code"]) == (409, "is_symlink"), body
    code, body = await call(jp_fetch, "GET", "open", ME, repo=row["id"], path="README.md")
    assert (code, body["code"]) == (409, "is_symlink"), body


async def test_an_import_into_a_shared_file_is_a_409_with_the_next_step(world_env, jp_fetch, jp_root_dir):
    make_notebook(jp_root_dir / "train.ipynb")
    code, made = await call(jp_fetch, "POST", "shares", ME, body={"path": "train.ipynb", "target_space": "team-space"})
    assert code == 201, made
    (jp_root_dir / "shared").write_text("my notes, not a folder\n")
    code, body = await call(jp_fetch, "POST", f"shares/{made['share']['id']}/import", ME)
    assert (code, body["code"]) == (409, "landing_not_a_folder"), body
    assert "Rename or move that file, then import again" in body["message"]
    assert (jp_root_dir / "shared").read_text() == "my notes, not a folder\n"
    (jp_root_dir / "shared").unlink()
    code, body = await call(jp_fetch, "POST", f"shares/{made['share']['id']}/import", ME)
    assert code == 200 and body["path"] == "shared/alice/train.ipynb", body


@pytest.mark.s3_store
async def test_a_cancelled_s3_upload_leaves_no_unretrieved_task_exception(world_env, jp_fetch, jp_root_dir, caplog):
    caplog.set_level(logging.ERROR, logger="asyncio")
    world_env.fault("s3:PutObject", "latency", latency_ms=1500)
    make_notebook(jp_root_dir / "big.ipynb", cells=20, output_bytes=20 << 20)
    code, body = await call(
        jp_fetch,
        "POST",
        "shares",
        ME,
        body={"path": "big.ipynb", "target_space": "team-space", "include_outputs": True},
    )
    assert code == 202, body
    await until(lambda: world_env.calls().get("s3:PutObject"), what="the upload under way")  # slowed by the fault
    assert (await call(jp_fetch, "DELETE", f"jobs/{body['job']['id']}", ME))[0] == 200
    job = await wait_job(jp_fetch, body["job"]["id"], headers=as_user(ME))
    assert job["state"] == "cancelled"
    world_env.clear_faults()
    await asyncio.sleep(0.2)
    gc.collect()  # an unretrieved task exception is logged when the task is collected
    await asyncio.sleep(0)
    logged = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert not any("never retrieved" in m for m in logged), logged
