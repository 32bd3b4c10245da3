"""Two running servers stand for two spaces sharing one store: share in one, import in the other over HTTP."""

from __future__ import annotations

import asyncio
import json
import urllib.parse

import pytest
import requests

from tests.identity.studio_identity import COOKIE, shared_space_login
from tests.servers import start_lab
from tests.share.conftest import fetch_json, make_notebook

pytestmark = pytest.mark.world


@pytest.fixture
def shared_space_server(tmp_path, share_folder, world):
    """A second `jupyter server` in its own process group: the shared space 'team-space' of the world's domain,
    run as Studio runs it (its identity provider names the member from the studioUserProfileName cookie; issue
    #15: importing needs a named member, confirmed through the emulator)."""
    metadata = world.write_resource_metadata(tmp_path / "team-space-metadata.json", "team-space")
    env = {
        "STUDIO_COLLAB_RESOURCE_METADATA": str(metadata),
        "SAGEMAKER_SPACE_TYPE_LOWERCASE": "shared",
        "AWS_ENDPOINT_URL": world.emulator_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": world.region,
        "AWS_DEFAULT_REGION": world.region,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    login_args, login_env = shared_space_login()
    server = start_lab(
        tmp_path / "team-root",
        env={**env, **login_env},
        command="server",
        args=[
            *login_args,
            f"--StudioCollabApp.share_folder={share_folder}",
            "--StudioCollabApp.aws_max_attempts=1",
            f"--SQLiteYStore.db_path={tmp_path / 'ystore.db'}",
        ],
    )
    yield server
    server.stop()


def browser_import(server, share_id: str, member: str = "bob") -> tuple[requests.Response, requests.Response]:
    """What the import page does in a browser opened from Studio: the member's cookie, the page, then the POST
    with the _xsrf token."""
    session = requests.Session()
    session.cookies.set(COOKIE, member)
    page = session.get(f"{server.url}studio-collab/import", params={"share": share_id}, timeout=30)
    xsrf = session.cookies.get("_xsrf")
    without_xsrf = session.post(server.api(f"shares/{share_id}/import"), timeout=30)
    assert without_xsrf.status_code == 403, "a cookie-authenticated POST must carry the XSRF token"
    answer = session.post(server.api(f"shares/{share_id}/import"), headers={"X-XSRFToken": xsrf}, timeout=30)
    return page, answer


def as_member(server, member: str | None) -> requests.Session:
    session = requests.Session()
    session.cookies.set("_xsrf", "0123456789abcdef")
    if member:
        session.cookies.set(COOKIE, member)
    session.headers["X-XSRFToken"] = "0123456789abcdef"
    return session


async def test_share_in_one_server_import_in_the_other(outside_studio, jp_fetch, jp_root_dir, shared_space_server):
    notebook = make_notebook(jp_root_dir / "project" / "train.ipynb", output_bytes=4000)
    code, body = await fetch_json(
        jp_fetch, "shares", method="POST", body={"path": "project/train.ipynb", "include_outputs": True}
    )
    assert code == 201
    share = body["share"]
    team_root = shared_space_server.root_dir

    status = await asyncio.to_thread(
        requests.get, shared_space_server.api("status"), headers=shared_space_server.headers, timeout=30
    )
    assert status.json()["studio"]["space_type"] == "shared"
    assert status.json()["features"]["share"] == {"available": True, "reason": None}

    page, answer = await asyncio.to_thread(browser_import, shared_space_server, share["id"])
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert answer.status_code == 200, answer.text
    landed = answer.json()["path"]
    assert landed == f"shared/{share['author']}/train.ipynb"
    assert (team_root / landed).read_bytes() == notebook.read_bytes()

    # The author revokes in their space; the other space's link stops working at once.
    await fetch_json(jp_fetch, "shares", share["id"], method="DELETE")
    gone = await asyncio.to_thread(
        as_member(shared_space_server, "bob").post, shared_space_server.api(f"shares/{share['id']}/import"), timeout=30
    )
    assert (gone.status_code, gone.json()["code"]) == (410, "share_revoked")
    page = await asyncio.to_thread(
        requests.get,
        f"{shared_space_server.url}studio-collab/import",
        params={"share": share["id"]},
        headers=shared_space_server.headers,
        timeout=30,
    )
    assert page.status_code == 410
    assert sorted(p.name for p in (team_root / "shared" / share["author"]).iterdir()) == ["train.ipynb"]


async def test_the_other_server_cannot_revoke_what_it_did_not_share(
    outside_studio, jp_fetch, jp_root_dir, shared_space_server, share_folder
):
    make_notebook(jp_root_dir / "train.ipynb")
    _, body = await fetch_json(jp_fetch, "shares", method="POST", body={"path": "train.ipynb"})
    share_id = body["share"]["id"]
    # In the shared space the viewer is whoever Studio's identity provider names: a member who is not the author
    # (this server's account) may not revoke, and a request naming no member may not act at all.
    answer = await asyncio.to_thread(
        as_member(shared_space_server, "bob").delete, shared_space_server.api(f"shares/{share_id}"), timeout=30
    )
    assert (answer.status_code, answer.json()["code"]) == (403, "not_share_author")
    answer = await asyncio.to_thread(
        as_member(shared_space_server, None).delete, shared_space_server.api(f"shares/{share_id}"), timeout=30
    )
    assert (answer.status_code, answer.json()["code"]) == (403, "identity_unknown")
    manifest = json.loads((share_folder / "shares" / share_id / "manifest.json").read_text())
    assert manifest["revoked"] is False
    assert (
        urllib.parse.urlsplit(body["share"]["url"]).query == f"studio-collab-import={share_id}"
    )  # the link opens the lab, which asks
