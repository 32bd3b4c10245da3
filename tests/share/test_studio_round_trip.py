"""Two spaces of the local Studio world as two running servers on one S3 store: alice's private space makes the
link from DescribeSpace's Url, and that link, followed as a browser would, imports in the shared space."""

from __future__ import annotations

import asyncio
import urllib.parse

import pytest
import requests

from tests.identity.studio_identity import COOKIE, shared_space_login
from tests.servers import start_lab
from tests.share.conftest import fetch_json, make_notebook


@pytest.fixture
def team_space_lab(world_env, tmp_path):
    """The world's shared space 'team-space' as a second server at Studio's base path; its DescribeSpace Url
    points at it, so the link the private space makes really opens here."""
    metadata = world_env.write_resource_metadata(tmp_path / "team-space-metadata.json", "team-space")
    bucket = world_env.scenario.section("s3_buckets")[0]
    login_args, login_env = shared_space_login()  # as Studio runs a shared space: its cookie names the member
    server = start_lab(
        tmp_path / "team-root",
        command="server",
        base_url="/jupyterlab/default/",
        env={"STUDIO_COLLAB_RESOURCE_METADATA": str(metadata), "SAGEMAKER_SPACE_TYPE_LOWERCASE": "shared", **login_env},
        args=[
            *login_args,
            "--StudioCollabApp.share_store=s3",
            f"--StudioCollabApp.share_s3_bucket={bucket}",
            "--StudioCollabApp.share_s3_prefix=two-servers/",
            f"--SQLiteYStore.db_path={tmp_path / 'ystore.db'}",
        ],
    )
    world_env.override(
        "space",
        {"DomainId": world_env.domain_id, "SpaceName": "team-space"},
        {"Url": f"http://127.0.0.1:{server.port}"},
    )
    yield server
    server.stop()


@pytest.fixture
def studio_collab_config(world) -> dict:
    return {
        "share_store": "s3",
        "share_s3_bucket": world.scenario.section("s3_buckets")[0],
        "share_s3_prefix": "two-servers/",
    }


async def test_studio_link_opens_in_the_shared_space_and_imports(world_env, team_space_lab, jp_fetch, jp_root_dir):
    notebook = make_notebook(jp_root_dir / "train.ipynb", output_bytes=3000)
    code, body = await fetch_json(
        jp_fetch,
        "shares",
        method="POST",
        body={"path": "train.ipynb", "target_space": "team-space", "include_outputs": True},
    )
    share = body["share"]
    link = urllib.parse.urlsplit(share["url"])
    assert f"{link.scheme}://{link.netloc}{link.path}" == f"{team_space_lab.url}lab"  # the space's JupyterLab

    def follow_link() -> tuple[requests.Response, requests.Response]:
        session = requests.Session()
        session.cookies.set(COOKIE, "bob")  # bob, a member, opened the space from Studio
        assert session.get(share["url"], timeout=30).status_code == 200  # the link opens the lab itself
        page = session.get(
            team_space_lab.url + "studio-collab/import",
            timeout=30,  # the no-JavaScript page
            params={"share": share["id"]},
        )
        answer = session.post(
            team_space_lab.api(f"shares/{share['id']}/import"),
            headers={"X-XSRFToken": session.cookies.get("_xsrf")},
            timeout=30,
        )
        return page, answer

    page, answer = await asyncio.to_thread(follow_link)
    assert page.status_code == 200 and "alice" in page.text and "train.ipynb" in page.text
    assert answer.status_code == 200, answer.text
    assert answer.json()["path"] == "shared/alice/train.ipynb"
    assert (team_space_lab.root_dir / "shared" / "alice" / "train.ipynb").read_bytes() == notebook.read_bytes()

    # Someone in the shared space is not the author: they cannot revoke. Alice can, and the link then says so.
    bob = requests.Session()
    bob.cookies.update({COOKIE: "bob", "_xsrf": "0123456789abcdef"})
    denied = await asyncio.to_thread(
        bob.delete, team_space_lab.api(f"shares/{share['id']}"), headers={"X-XSRFToken": "0123456789abcdef"}, timeout=30
    )
    assert (denied.status_code, denied.json()["code"]) == (403, "not_share_author")
    await fetch_json(jp_fetch, "shares", share["id"], method="DELETE")
    gone = await asyncio.to_thread(
        bob.get, team_space_lab.api(f"shares/{share['id']}"), timeout=30
    )  # what the lab asks
    assert gone.status_code == 410 and gone.json()["code"] == "share_revoked"
