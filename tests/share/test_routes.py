"""Share routes on a running server outside Studio, with a folder store: the whole life of a share."""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import json
import re
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest

from tests.helpers import error_of
from tests.share.conftest import fetch_json, files_under, make_notebook

pytestmark = pytest.mark.usefixtures("outside_studio")


async def share(jp_fetch, path="train.ipynb", **fields):
    code, body = await fetch_json(jp_fetch, "shares", method="POST", body={"path": path, **fields})
    assert code == 201, body
    return body["share"]


def stored_manifest(share_folder, share_id):
    return share_folder / "shares" / share_id / "manifest.json"


async def test_share_list_import_round_trip(jp_fetch, jp_root_dir, jp_base_url, openapi_validator):
    make_notebook(jp_root_dir / "work" / "train.ipynb", output_bytes=2000)
    code, spaces = await fetch_json(jp_fetch, "spaces")
    openapi_validator.validate("get", "/spaces", 200, spaces)
    assert spaces == {"in_studio": False, "spaces": []}

    code, body = await fetch_json(
        jp_fetch,
        "shares",
        method="POST",
        body={"path": "work/train.ipynb", "include_outputs": True, "expires_in_days": 3},
    )
    assert code == 201
    openapi_validator.validate("post", "/shares", 201, body)
    created = body["share"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", created["id"])
    assert created["title"] == "train.ipynb" and created["author"] == getpass.getuser()
    assert created["size"] == (jp_root_dir / "work" / "train.ipynb").stat().st_size
    assert created["sha256"] == hashlib.sha256((jp_root_dir / "work" / "train.ipynb").read_bytes()).hexdigest()
    # Outside Studio the link opens this server's own JupyterLab (which asks), and it carries no credential.
    assert created["url"].endswith(f"{jp_base_url}lab?studio-collab-import={created['id']}")
    assert "token" not in created["url"]
    expires = datetime.fromisoformat(created["expires"].replace("Z", "+00:00"))
    assert timedelta(days=2, hours=23) < expires - datetime.now(timezone.utc) <= timedelta(days=3)
    assert created["state"] == "active" and created["target_space"] is None and created["live_url"] is None

    code, mine = await fetch_json(jp_fetch, "shares")
    openapi_validator.validate("get", "/shares", 200, mine)
    assert [s["id"] for s in mine["shares"]] == [created["id"]]

    before = files_under(jp_root_dir)
    page = await jp_fetch("studio-collab", "import", params={"share": created["id"]})
    assert page.code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "script-src 'nonce-" in page.headers["Content-Security-Policy"]
    assert files_under(jp_root_dir) == before, "the GET must not write"

    code, imported = await fetch_json(jp_fetch, "shares", created["id"], "import", method="POST", body={})
    assert code == 200
    openapi_validator.validate("post", f"/shares/{created['id']}/import", 200, imported)
    author = getpass.getuser()
    assert imported["path"] == f"shared/{author}/train.ipynb"
    assert (jp_root_dir / imported["path"]).read_bytes() == (jp_root_dir / "work" / "train.ipynb").read_bytes()


async def test_import_page_shows_names_as_data_never_markup(jp_fetch, jp_root_dir):
    name = "<img src=x onerror=alert(1)>.ipynb"
    make_notebook(jp_root_dir / name)
    created = await share(jp_fetch, name)
    assert created["title"] == name
    html = (await jp_fetch("studio-collab", "import", params={"share": created["id"]})).body.decode()
    assert "<img" not in html
    data = re.search(r'<script id="share-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    shown = json.loads(data)["share"]
    assert shown["title"] == name
    assert "source_path" not in shown and "url" not in shown, "the page shows what was shared, not where it lives"
    assert "innerHTML" not in html and "insertAdjacentHTML" not in html


async def test_without_outputs_the_stored_copy_has_none(jp_fetch, jp_root_dir):
    make_notebook(jp_root_dir / "train.ipynb", output_bytes=5000)
    created = await share(jp_fetch, include_outputs=False)
    assert created["include_outputs"] is False
    _, imported = await fetch_json(jp_fetch, "shares", created["id"], "import", method="POST", body={})
    copy = nbformat.read(jp_root_dir / imported["path"], as_version=4)
    nbformat.validate(copy)
    assert all(c.outputs == [] and c.execution_count is None for c in copy.cells if c.cell_type == "code")
    assert created["size"] < (jp_root_dir / "train.ipynb").stat().st_size


async def test_invalid_notebook_without_outputs_is_a_clear_400(jp_fetch, jp_root_dir, share_folder):
    (jp_root_dir / "broken.ipynb").write_text("{ this is not json")
    code, body = await error_of(fetch_json(jp_fetch, "shares", method="POST", body={"path": "broken.ipynb"}))
    assert code == 400
    assert body["code"] == "invalid_notebook"
    assert "not valid JSON" in body["message"]
    assert not (share_folder / "shares").exists() or not any((share_folder / "shares").iterdir())


@pytest.mark.parametrize(
    "body,code,error",
    [
        ({"path": "../escape.ipynb"}, 400, "path_outside_root"),
        ({"path": "link.ipynb"}, 400, "path_outside_root"),
        ({"path": "missing.ipynb"}, 404, "path_not_found"),
        ({"path": "train.ipynb", "expires_in_days": 0}, 400, "invalid_expiry"),
        ({"path": "train.ipynb", "expires_in_days": "7"}, 400, "invalid_expiry"),
        ({"path": "train.ipynb", "include_outputs": "yes"}, 400, "invalid_include_outputs"),
        ({}, 400, "invalid_path"),
    ],
)
async def test_bad_share_requests(jp_fetch, jp_root_dir, tmp_path, body, code, error):
    make_notebook(jp_root_dir / "train.ipynb")
    (jp_root_dir / "link.ipynb").symlink_to(make_notebook(tmp_path / "outside" / "secret.ipynb"))
    status, answer = await error_of(fetch_json(jp_fetch, "shares", method="POST", body=body))
    assert (status, answer["code"]) == (code, error)
    assert set(answer) == {"code", "message"}


async def test_share_size_limit(jp_fetch, jp_root_dir, share_service):
    make_notebook(jp_root_dir / "train.ipynb", output_bytes=4000)
    share_service.settings = type(share_service.settings)(max_bytes=2000)
    status, answer = await error_of(
        fetch_json(jp_fetch, "shares", method="POST", body={"path": "train.ipynb", "include_outputs": True})
    )
    assert (status, answer["code"]) == (413, "share_too_large")


@pytest.mark.parametrize(
    "share_id,code",
    [
        ("short", 400),
        ("AAAAAAAAAAAAAAAAAAAAA.", 400),
        ("..", 400),
        ("%2E%2E", 400),
        ("AAAAAAAAAAA%2FAAAAAAAAAA", 400),
        ("AAAAAAAAAAAAAAAAAAAAAA", 404),
    ],
)
async def test_share_ids_are_checked_before_any_store_access(jp_fetch, share_id, code):
    status, answer = await error_of(fetch_json(jp_fetch, "shares", share_id, "import", method="POST", body={}))
    assert status == code
    assert answer["code"] == ("invalid_share_id" if code == 400 else "share_not_found")
    status, _ = await error_of(fetch_json(jp_fetch, "shares", share_id, method="DELETE"))
    assert status == code


async def test_import_page_for_bad_and_unknown_ids(jp_fetch):
    for share_id, status in (("../../etc/passwd", 400), ("AAAAAAAAAAAAAAAAAAAAAA", 404), ("", 400)):
        code, body = await error_of(fetch_json(jp_fetch, "import", params={"share": share_id}), raw=True)
        assert code == status
        html = body.decode()
        data = json.loads(re.search(r'type="application/json">(.*?)</script>', html, re.S).group(1))
        assert data["error"]["code"] in ("invalid_share_id", "share_not_found")


async def test_revoke_then_import_is_410(jp_fetch, jp_root_dir, share_folder, openapi_validator):
    make_notebook(jp_root_dir / "train.ipynb")
    created = await share(jp_fetch)
    code, body = await fetch_json(jp_fetch, "shares", created["id"], method="DELETE")
    openapi_validator.validate("delete", f"/shares/{created['id']}", 200, body)
    assert body["share"]["state"] == "revoked" and body["share"]["revoked_at"]
    assert not (share_folder / "shares" / created["id"] / "content").exists(), "revoking removes the file"
    before = files_under(jp_root_dir)
    status, answer = await error_of(fetch_json(jp_fetch, "shares", created["id"], "import", method="POST", body={}))
    assert (status, answer["code"]) == (410, "share_revoked")
    page_status, page = await error_of(fetch_json(jp_fetch, "import", params={"share": created["id"]}), raw=True)
    assert page_status == 410 and b"share_revoked" in page
    assert files_under(jp_root_dir) == before
    _, mine = await fetch_json(jp_fetch, "shares")
    assert [s["state"] for s in mine["shares"]] == ["revoked"]
    # Revoking twice is harmless.
    assert (await fetch_json(jp_fetch, "shares", created["id"], method="DELETE"))[1]["share"]["state"] == "revoked"


async def test_expired_share_is_410_and_cleaned_lazily(jp_fetch, jp_root_dir, share_folder, share_service):
    make_notebook(jp_root_dir / "train.ipynb")
    created = await share(jp_fetch, expires_in_days=1)
    # Time passes: the service's clock moves two days on.
    share_service.clock = lambda: datetime.now(timezone.utc) + timedelta(days=2)
    status, answer = await error_of(fetch_json(jp_fetch, "shares", created["id"], "import", method="POST", body={}))
    assert (status, answer["code"]) == (410, "share_expired")
    assert (await error_of(fetch_json(jp_fetch, "import", params={"share": created["id"]}), raw=True))[0] == 410
    assert (share_folder / "shares" / created["id"] / "content").exists(), "GETs and refusals never clean up"
    assert await share_service.cleanup() == 0
    assert not (share_folder / "shares" / created["id"] / "content").exists()
    assert stored_manifest(share_folder, created["id"]).exists(), "the tombstone explains old links"
    share_service.clock = lambda: datetime.now(timezone.utc) + timedelta(days=40)
    assert await share_service.cleanup() == 1
    assert not (share_folder / "shares" / created["id"]).exists()
    assert (await error_of(fetch_json(jp_fetch, "shares", created["id"], "import", method="POST", body={})))[0] == 404
    assert (await fetch_json(jp_fetch, "shares"))[1] == {"shares": []}


async def test_only_the_author_may_revoke(jp_fetch, jp_root_dir, share_folder):
    make_notebook(jp_root_dir / "train.ipynb")
    created = await share(jp_fetch)
    path = stored_manifest(share_folder, created["id"])
    record = json.loads(path.read_text())
    record["author"] = "bob"  # as if bob's space had made this share
    path.write_text(json.dumps(record))
    status, answer = await error_of(fetch_json(jp_fetch, "shares", created["id"], method="DELETE"))
    assert (status, answer["code"]) == (403, "not_share_author")
    assert json.loads(path.read_text())["revoked"] is False


@pytest.mark.parametrize("tamper", ["content", "sha256", "size", "author", "title", "id", "json"])
async def test_tampered_share_is_refused_and_nothing_is_written(jp_fetch, jp_root_dir, share_folder, tamper):
    make_notebook(jp_root_dir / "train.ipynb", output_bytes=1000)
    created = await share(jp_fetch, include_outputs=True)
    manifest_path = stored_manifest(share_folder, created["id"])
    record = json.loads(manifest_path.read_text())
    if tamper == "content":
        content = share_folder / "shares" / created["id"] / "content"
        content.write_bytes(content.read_bytes().replace(b"print(0)", b"print(9)"))
    elif tamper == "json":
        manifest_path.write_text("{" + manifest_path.read_text())
    else:
        record[tamper] = {
            "sha256": "0" * 64,
            "size": record["size"] - 1,
            "author": "../../etc",
            "title": "../../.bashrc",
            "id": "B" * 22,
        }[tamper]
        manifest_path.write_text(json.dumps(record))
    before = files_under(jp_root_dir)
    temps = set(Path(tempfile.gettempdir()).glob("studio-collab-import-*"))
    status, answer = await error_of(fetch_json(jp_fetch, "shares", created["id"], "import", method="POST", body={}))
    assert (status, answer["code"]) == (409, "share_damaged")
    assert files_under(jp_root_dir) == before
    assert not (jp_root_dir / "shared").exists()
    assert set(Path(tempfile.gettempdir()).glob("studio-collab-import-*")) <= temps, "the refused download is gone"


async def test_a_store_file_larger_than_its_record_is_refused(jp_fetch, jp_root_dir, share_folder):
    make_notebook(jp_root_dir / "train.ipynb")
    created = await share(jp_fetch)
    with open(share_folder / "shares" / created["id"] / "content", "ab") as content:
        content.write(b"\n" * 10_000)
    status, answer = await error_of(fetch_json(jp_fetch, "shares", created["id"], "import", method="POST", body={}))
    assert (status, answer["code"]) == (409, "share_damaged")
    assert not (jp_root_dir / "shared").exists()


async def test_concurrent_imports_get_distinct_names(jp_fetch, jp_root_dir):
    make_notebook(jp_root_dir / "train.ipynb")
    created = await share(jp_fetch, include_outputs=True)
    (jp_root_dir / "shared" / getpass.getuser()).mkdir(parents=True)
    (jp_root_dir / "shared" / getpass.getuser() / "train.ipynb").write_text("my own edits")
    answers = await asyncio.gather(
        *(fetch_json(jp_fetch, "shares", created["id"], "import", method="POST", body={}) for _ in range(6))
    )
    paths = [body["path"] for _, body in answers]
    assert len(set(paths)) == 6
    assert f"shared/{getpass.getuser()}/train.ipynb" not in paths
    assert (jp_root_dir / "shared" / getpass.getuser() / "train.ipynb").read_text() == "my own edits"
    original = (jp_root_dir / "train.ipynb").read_bytes()
    assert all((jp_root_dir / p).read_bytes() == original for p in paths)


async def follow_job(jp_fetch, job: dict, seen: list) -> dict:
    while job["state"] in ("queued", "running"):
        seen.append((job["progress"], job["message"]))
        await asyncio.sleep(0.02)
        job = (await fetch_json(jp_fetch, "jobs", job["id"]))[1]["job"]
    return job


async def test_a_20_mb_notebook_moves_in_jobs(jp_fetch, jp_root_dir, openapi_validator):
    # How long the event loop stalls meanwhile is a benchmark figure (bench_share), not a threshold here.
    notebook = make_notebook(jp_root_dir / "big.ipynb", cells=40, output_bytes=20 << 20)
    assert notebook.stat().st_size > 20 << 20
    code, body = await fetch_json(
        jp_fetch, "shares", method="POST", body={"path": "big.ipynb", "include_outputs": True}
    )
    assert code == 202
    openapi_validator.validate("post", "/shares", 202, body)
    seen: list = []
    job = await follow_job(jp_fetch, body["job"], seen)
    assert job["state"] == "succeeded", job
    created = job["result"]["share"]
    assert created["size"] == notebook.stat().st_size

    code, body = await fetch_json(jp_fetch, "shares", created["id"], "import", method="POST", body={})
    assert code == 202 and body["job"]["kind"] == "share-import"
    job = await follow_job(jp_fetch, body["job"], seen)
    assert job["state"] == "succeeded", job
    assert (jp_root_dir / job["result"]["path"]).read_bytes() == notebook.read_bytes()
