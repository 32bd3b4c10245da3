"""Issue #15 on the world: a shared space run the way Studio runs one (its identity provider's cookie), asked by
no cookie, "User", a name that is no user profile here, another member and the owner. Unknown viewers read what
the space shows everyone and never act; named members act only on what is theirs."""

from __future__ import annotations

import json
import re

import pytest

from studio_collab.app import StudioCollabApp
from studio_collab.openapi import openapi_document
from tests.helpers import wait_job
from tests.identity.conftest import NO_COOKIE, as_user, call
from tests.share.conftest import make_notebook

pytestmark = [pytest.mark.world, pytest.mark.world_space("team-space")]

UNKNOWN = [NO_COOKIE, "User", "mallory", "alice/../bob", ""]  # team-space's domain has alice, bob and carol
UNKNOWN_IDS = ["no-cookie", "User", "not-a-profile", "not-a-name", "empty-cookie"]
SAMPLE = {
    "job_id": "0123456789abcdef",
    "share_id": "AAAAAAAAAAAAAAAAAAAAAA",
    "repo_id": "r-0000000000",
    "source": "mlflow",
    "experiment_id": "0",
    "run_id": "0",
}


@pytest.fixture
def studio_collab_config(tmp_path):
    return {"share_folder": str(tmp_path / "share-store"), "git_fetch_interval_seconds": 0, "git_timeout_seconds": 60}


def served_operations(methods: tuple[str, ...]) -> list[tuple[str, str]]:
    document = openapi_document(tuple(f"studio_collab.{n}" for n in StudioCollabApp.present_features()))
    found = []
    for template, item in document["paths"].items():
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), "x"), template).strip("/")
        found += [(m.upper(), path) for m in item if m.upper() in methods]
    return found


MUTATING = served_operations(("POST", "PUT", "PATCH", "DELETE"))


def assert_identity_unknown(code: int, body: dict) -> None:
    assert (code, body.get("code")) == (403, "identity_unknown"), (code, body)
    assert "Open this space from SageMaker Studio" in body["message"], body


def mutating_aws_calls(world) -> dict:
    return {
        op: n
        for op, n in world.calls().items()
        if op.split(":", 1)[1].startswith(("Create", "Delete", "Stop", "Put", "Update", "Start"))
    }


@pytest.mark.parametrize("user", UNKNOWN, ids=UNKNOWN_IDS)
async def test_an_unknown_viewer_never_acts_and_reads_what_everyone_sees(world_env, jp_fetch, jp_root_dir, user):
    assert MUTATING, "the served document lists the write routes"
    make_notebook(jp_root_dir / "train.ipynb")
    world_env.clear_calls()
    for method, path in MUTATING:
        body = {"path": "train.ipynb"} if path == "shares" else {"kind": "app", "name": "team-space/JupyterLab/default"}
        assert_identity_unknown(*await call(jp_fetch, method, path, user, body=body))
    # per-user lists
    assert_identity_unknown(*await call(jp_fetch, "GET", "shares", user))
    assert_identity_unknown(*await call(jp_fetch, "GET", "cost", user, scope="mine"))
    assert mutating_aws_calls(world_env) == {}
    assert sorted(p.name for p in jp_root_dir.iterdir()) == ["train.ipynb"]
    # shared, non-personal reads still answer
    code, status = await call(jp_fetch, "GET", "status", user)
    assert code == 200 and status["studio"]["space_type"] == "shared"
    assert status["studio"]["user"] is None and status["studio"]["user_unknown_reason"]
    assert status["studio"]["owner"] == "alice", "the owner is shown, never used as the viewer"
    for path, params in (("repos", {}), ("spaces", {}), ("domain", {}), ("idle", {}), ("cost", {"scope": "domain"})):
        code, body = await call(jp_fetch, "GET", path, user, **params)
        assert code == 200, (path, code, body)


@pytest.mark.parametrize("user", ["alice", "bob", "carol"])
async def test_a_member_is_named_by_the_cookie(world_env, jp_fetch, user):
    code, status = await call(jp_fetch, "GET", "status", user)
    assert (code, status["studio"]["user"], status["studio"]["user_unknown_reason"]) == (200, user, None)


async def test_the_owner_is_never_the_fallback_for_shares(world_env, jp_fetch, jp_root_dir, tmp_path):
    """The issue's first case: with no cookie, GET shares listed the owner's shares and DELETE revoked one."""
    make_notebook(jp_root_dir / "train.ipynb")
    code, made = await call(
        jp_fetch, "POST", "shares", "alice", body={"path": "train.ipynb", "target_space": "team-space"}
    )
    assert code == 201, made
    share_id = made["share"]["id"]
    for user in (NO_COOKIE, "User"):
        assert_identity_unknown(*await call(jp_fetch, "GET", "shares", user))
        assert_identity_unknown(*await call(jp_fetch, "DELETE", f"shares/{share_id}", user))
    manifest = json.loads((tmp_path / "share-store" / "shares" / share_id / "manifest.json").read_text())
    assert manifest["author"] == "alice" and manifest["revoked"] is False
    assert [s["id"] for s in (await call(jp_fetch, "GET", "shares", "alice"))[1]["shares"]] == [share_id]


async def test_only_the_author_revokes_and_each_member_lists_their_own(world_env, jp_fetch, jp_root_dir, tmp_path):
    make_notebook(jp_root_dir / "bobs.ipynb")
    code, made = await call(
        jp_fetch, "POST", "shares", "bob", body={"path": "bobs.ipynb", "target_space": "team-space"}
    )
    assert code == 201 and made["share"]["author"] == "bob"
    share_id = made["share"]["id"]
    assert (await call(jp_fetch, "GET", "shares", "carol"))[1] == {"shares": []}
    code, body = await call(jp_fetch, "DELETE", f"shares/{share_id}", "carol")
    assert (code, body["code"]) == (403, "not_share_author") and "bob" in body["message"]
    code, body = await call(jp_fetch, "DELETE", f"shares/{share_id}", "alice")  # the space's owner: no more
    assert (code, body["code"]) == (403, "not_share_author")
    manifest = tmp_path / "share-store" / "shares" / share_id / "manifest.json"
    assert json.loads(manifest.read_text())["revoked"] is False
    code, body = await call(jp_fetch, "DELETE", f"shares/{share_id}", "bob")
    assert code == 200 and body["share"]["state"] == "revoked"
    assert json.loads(manifest.read_text())["revoked"] is True


async def test_cost_stop_without_a_cookie_deletes_nothing(world_env, jp_fetch):
    """The issue's case: POST cost/stop with no cookie deleted an app with requested_by set to the owner."""
    world_env.clear_calls()
    target = {"kind": "app", "name": "team-space/JupyterLab/default"}
    assert_identity_unknown(*await call(jp_fetch, "POST", "cost/stop", NO_COOKIE, body=target))
    assert "sagemaker:DeleteApp" not in world_env.calls()
    apps = world_env.client("sagemaker").list_apps(DomainIdEquals=world_env.domain_id, SpaceNameEquals="team-space")
    assert [a["Status"] for a in apps["Apps"] if a["AppName"] == "default"] == ["InService"]
    code, body = await call(jp_fetch, "POST", "cost/stop", "bob", body=target)  # a member working in this space
    assert code == 200 and body["requested_by"] == "bob", body
    assert world_env.calls().get("sagemaker:DeleteApp") == 1


async def test_a_job_is_its_owners_alone(world_env, jp_fetch, jp_root_dir):
    code, listed = await call(jp_fetch, "GET", "repos", "bob")
    repo = next(r for r in listed["repos"] if r["name"] == "churn-model")
    world_env.git_faults(rate_limit_bps=2000)  # bob's clone keeps running while the others try
    code, started = await call(jp_fetch, "POST", f"repos/{repo['id']}/clone", "bob")
    assert code == 202, started
    job_id = started["job"]["id"]
    for user, shown in (("bob", job_id), ("carol", None), (NO_COOKIE, None)):  # the list names it to bob only
        row = next(r for r in (await call(jp_fetch, "GET", "repos", user))[1]["repos"] if r["id"] == repo["id"])
        assert row["state"] == "cloning" and (row["job"] or {}).get("id") == shown, (user, row)
    for user in ("carol", "alice", NO_COOKIE, "User"):
        for method, path in (("GET", f"jobs/{job_id}"), ("GET", f"jobs/{job_id}/events")):
            code, body = await call(jp_fetch, method, path, user)
            assert (code, body.get("code")) == (404, "job_not_found"), (user, path, code, body)
    for user in ("carol", "alice"):
        code, body = await call(jp_fetch, "DELETE", f"jobs/{job_id}", user)
        assert (code, body["code"]) == (404, "job_not_found")
    assert_identity_unknown(*await call(jp_fetch, "DELETE", f"jobs/{job_id}", NO_COOKIE))
    code, body = await call(jp_fetch, "GET", f"jobs/{job_id}", "bob")
    assert body["job"]["state"] in ("queued", "running"), body  # nobody else's cancel reached it
    code, body = await call(jp_fetch, "DELETE", f"jobs/{job_id}", "bob")  # its owner may
    assert code == 200, body
    world_env.git_faults()
    job = await wait_job(jp_fetch, job_id, headers=as_user("bob"))
    assert job["state"] == "cancelled", job
    assert (await call(jp_fetch, "GET", f"jobs/{job_id}", "carol"))[0] == 404  # nor its end, once over


async def test_a_member_sharing_from_the_shared_space_gets_the_live_link(world_env, jp_fetch, jp_root_dir):
    """Moved from tests/share/test_studio.py: sharing is a mutating verb, so it needs a named member now."""
    from tests.share.test_studio import space_url

    make_notebook(jp_root_dir / "team notes" / "eda.ipynb")
    code, body = await call(
        jp_fetch, "POST", "shares", "carol", body={"path": "team notes/eda.ipynb", "target_space": "team-space"}
    )
    assert code == 201, body
    share = body["share"]
    base = space_url(world_env, "team-space").rstrip("/")
    assert share["live_url"] == f"{base}/jupyterlab/default/lab/tree/team%20notes/eda.ipynb"
    assert share["author"] == "carol"
