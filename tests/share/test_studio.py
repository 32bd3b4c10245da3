"""Sharing inside the local Studio world: spaces from ListSpaces, links from DescribeSpace's Url (IAM and SSO),
the live link from a shared space, and the S3 store on the emulator's bucket."""

from __future__ import annotations

import asyncio
import json
import secrets
import urllib.parse

import pytest
from tornado.httpclient import HTTPClientError

from tests.helpers import until
from tests.share.conftest import fetch_json, make_notebook


@pytest.fixture
def s3_prefix() -> str:
    return f"test-{secrets.token_hex(4)}/"


@pytest.fixture
def studio_collab_config(world, s3_prefix) -> dict:
    return {
        "share_store": "s3",
        "share_s3_bucket": world.scenario.section("s3_buckets")[0],
        "share_s3_prefix": s3_prefix,
    }


def space_url(world, name: str) -> str:
    return world.client("sagemaker").describe_space(DomainId=world.domain_id, SpaceName=name)["Url"]


async def test_spaces_of_the_domain(world_env, jp_fetch, openapi_validator):
    code, body = await fetch_json(jp_fetch, "spaces")
    openapi_validator.validate("get", "/spaces", 200, body)
    assert body["in_studio"] is True
    spaces = {s["name"]: s for s in body["spaces"]}
    assert set(spaces) == {"alice-space", "bob-space", "team-space"}
    assert spaces["team-space"]["sharing"] == "Shared" and spaces["team-space"]["app_type"] == "JupyterLab"
    assert spaces["bob-space"] == {
        **spaces["bob-space"],
        "sharing": "Private",
        "owner": "bob",
        "display_name": "Bob's workspace",
    }
    assert spaces["alice-space"]["current"] is True
    assert all(s["url"] == space_url(world_env, n) for n, s in spaces.items())


async def test_iam_domain_link_from_describe_space(world_env, jp_fetch, jp_root_dir, s3_prefix):
    make_notebook(jp_root_dir / "churn" / "train.ipynb", output_bytes=2000)
    code, body = await fetch_json(
        jp_fetch,
        "shares",
        method="POST",
        body={"path": "churn/train.ipynb", "target_space": "team-space", "include_outputs": True},
    )
    assert code == 201
    share = body["share"]
    assert share["author"] == "alice"  # the owner of the private space, from DescribeSpace
    assert (share["target_space"], share["source_space"]) == ("team-space", "alice-space")
    base = space_url(world_env, "team-space").rstrip("/")
    assert share["url"] == f"{base}/jupyterlab/default/lab?studio-collab-import={share['id']}"
    assert share["live_url"] is None, "a private space has no live link to offer"
    # The snapshot and its manifest are in the bucket, under the configured prefix.
    bucket = world_env.scenario.section("s3_buckets")[0]
    keys = {o["Key"] for o in world_env.client("s3").list_objects_v2(Bucket=bucket, Prefix=s3_prefix)["Contents"]}
    assert keys == {
        f"{s3_prefix}shares/{share['id']}/content",
        f"{s3_prefix}shares/{share['id']}/manifest.json",
        f"{s3_prefix}authors/alice/{share['id']}",
    }
    code, mine = await fetch_json(jp_fetch, "shares")
    assert [s["id"] for s in mine["shares"]] == [share["id"]]


@pytest.mark.world_scenario("manual")
async def test_sso_domain_link_carries_the_redirect(world_env, jp_fetch, jp_root_dir):
    make_notebook(jp_root_dir / "risk.ipynb")
    code, body = await fetch_json(
        jp_fetch, "shares", method="POST", body={"path": "risk.ipynb", "target_space": "risk-team"}
    )
    share = body["share"]
    assert share["author"] == "dana"
    parts = urllib.parse.urlsplit(share["url"])
    base = urllib.parse.urlsplit(space_url(world_env, "risk-team"))
    assert (parts.scheme, parts.netloc) == (base.scheme, base.netloc)
    assert parts.path == base.path.rstrip("/") + "/jupyterlab/default/lab"
    assert urllib.parse.parse_qsl(parts.query) == [("studio-collab-import", share["id"]), ("redirect", "JupyterLab")]


@pytest.mark.parametrize(
    "target,code,error",
    [
        ("bob-space", 400, "target_not_shared"),
        ("no-such-space", 400, "unknown_space"),
        (None, 400, "invalid_target_space"),
        ("", 400, "invalid_target_space"),
    ],
)
async def test_the_target_must_be_a_shared_jupyterlab_space(world_env, jp_fetch, jp_root_dir, target, code, error):
    make_notebook(jp_root_dir / "train.ipynb")
    with pytest.raises(HTTPClientError) as err:
        await fetch_json(jp_fetch, "shares", method="POST", body={"path": "train.ipynb", "target_space": target})
    assert (err.value.code, json.loads(err.value.response.body)["code"]) == (code, error)


async def test_a_shared_space_without_url_is_a_clear_error(world_env, jp_fetch, jp_root_dir):
    world_env.override("space", {"DomainId": world_env.domain_id, "SpaceName": "team-space"}, {"Url": None})
    make_notebook(jp_root_dir / "train.ipynb")
    with pytest.raises(HTTPClientError) as err:
        await fetch_json(jp_fetch, "shares", method="POST", body={"path": "train.ipynb", "target_space": "team-space"})
    assert (err.value.code, json.loads(err.value.response.body)["code"]) == (409, "space_url_missing")


async def test_store_permission_errors_name_the_action(world_env, jp_fetch, jp_root_dir):
    world_env.fault("s3:PutObject", "access_denied")
    make_notebook(jp_root_dir / "train.ipynb")
    with pytest.raises(HTTPClientError) as err:
        await fetch_json(jp_fetch, "shares", method="POST", body={"path": "train.ipynb", "target_space": "team-space"})
    body = json.loads(err.value.response.body)
    assert (err.value.code, body["code"]) == (403, "aws_access_denied")
    assert "s3:PutObject" in body["message"]


async def job_until_done(jp_fetch, job: dict, seen: list | None = None) -> dict:
    while job["state"] in ("queued", "running"):
        if seen is not None:
            seen.append(job["progress"])
        await asyncio.sleep(0.05)
        job = (await fetch_json(jp_fetch, "jobs", job["id"]))[1]["job"]
    return job


async def test_a_large_s3_upload_reports_progress(world_env, jp_fetch, jp_root_dir):
    world_env.fault("s3:PutObject", "latency", latency_ms=700)  # each part answers slowly, as over a real network
    notebook = make_notebook(jp_root_dir / "big.ipynb", cells=20, output_bytes=20 << 20)
    code, body = await fetch_json(
        jp_fetch,
        "shares",
        method="POST",
        body={"path": "big.ipynb", "target_space": "team-space", "include_outputs": True},
    )
    assert code == 202
    seen: list[float] = []
    job = await job_until_done(jp_fetch, body["job"], seen)
    assert job["state"] == "succeeded" and job["result"]["share"]["size"] == notebook.stat().st_size
    assert any(0 < p < 1 for p in seen), seen
    assert "MB" in job["message"] or job["message"] == "Done."


async def test_cancelling_a_large_share_leaves_nothing_in_the_store(world_env, jp_fetch, jp_root_dir, s3_prefix):
    world_env.fault("s3:PutObject", "latency", latency_ms=1500)
    make_notebook(jp_root_dir / "big.ipynb", cells=20, output_bytes=20 << 20)
    _, body = await fetch_json(
        jp_fetch,
        "shares",
        method="POST",
        body={"path": "big.ipynb", "target_space": "team-space", "include_outputs": True},
    )
    await until(lambda: world_env.calls().get("s3:PutObject"), what="the upload under way")  # slowed by the fault
    await fetch_json(jp_fetch, "jobs", body["job"]["id"], method="DELETE")
    job = await job_until_done(jp_fetch, body["job"])
    assert job["state"] == "cancelled"
    world_env.clear_faults()
    bucket = world_env.scenario.section("s3_buckets")[0]
    listed = world_env.client("s3").list_objects_v2(Bucket=bucket, Prefix=s3_prefix)
    assert listed.get("Contents", []) == []
    uploads = world_env.client("s3").list_multipart_uploads(Bucket=bucket, Prefix=s3_prefix)
    assert uploads.get("Uploads", []) == [], "an aborted multipart upload must not linger (and bill)"
    assert (await fetch_json(jp_fetch, "shares"))[1] == {"shares": []}
