"""The open page asks before it acts (issue #15): loading it shows the repo, the file and what a click would do
(clone into <folder>, or sync with N incoming files), and changes nothing; only the click, a POST with the XSRF
token, clones or syncs."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.identity.conftest import XSRF, as_user, call

pytestmark = pytest.mark.world


@pytest.fixture
def studio_collab_config(world):
    return {
        "git_fetch_interval_seconds": 0,
        "git_timeout_seconds": 60,
        "repositories": [{"url": world.repo_url("identity-open"), "target": "work/identity-open"}],
    }


def page_data(body: bytes) -> dict:
    return json.loads(body.decode().split('id="studio-collab-open">', 1)[1].split("</script>", 1)[0])


def tree(root) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if ".git/" not in p.as_posix() + "/"}


async def open_page(jp_fetch, repo_id: str, path: str):
    return await jp_fetch(
        "studio-collab",
        "open",
        params={"repo": repo_id, "path": path},
        headers={**as_user("alice"), "Accept": "text/html"},
    )


async def test_the_page_says_what_a_click_would_do_and_does_nothing_itself(world_env, jp_fetch, jp_root_dir):
    world_env.repos.create("identity-open", template="notebooks", commits=1)
    code, listed = await call(jp_fetch, "GET", "repos", "alice")
    repo = next(r for r in listed["repos"] if r["name"] == "identity-open")

    response = await open_page(jp_fetch, repo["id"], "NEW.md")
    data = page_data(response.body)
    assert (data["verb"], data["button"], data["file"]) == ("clone", "Clone and open", "NEW.md")
    assert data["plan"] == "Clone identity-open into the folder 'work/identity-open'."
    assert data["repo"]["url"] == repo["url"] and data["repo"]["target"] == "work/identity-open"
    page = response.body.decode()
    assert "addEventListener('click'" in page and page.index("addEventListener('click'") < page.index("call('POST'")
    assert not (jp_root_dir / "work").exists(), "loading the page cloned"

    # The click: the page's POST with the XSRF token (a POST without it is refused).
    code, body = await call(jp_fetch, "POST", f"repos/{repo['id']}/clone", "alice")
    assert code == 202
    while body["job"]["state"] in ("queued", "running"):
        code, body = await call(jp_fetch, "GET", f"jobs/{body['job']['id']}", "alice")
    assert body["job"]["state"] == "succeeded"

    # Upstream moves on; a background fetch (done by hand here, as the fetch loop would) learns of it.
    world_env.repos.commit("identity-open", {"NEW.md": "new\n", "docs/other.md": "other\n"}, "Two new files")
    clone = jp_root_dir / "work" / "identity-open"
    subprocess.run(["git", "-C", str(clone), "fetch", "-q", "origin"], check=True, capture_output=True)
    before = tree(jp_root_dir)
    data = page_data((await open_page(jp_fetch, repo["id"], "NEW.md")).body)
    assert (data["verb"], data["button"], data["incoming_files"]) == ("sync", "Sync and open", 2)
    assert data["plan"].startswith("Sync 'work/identity-open' with upstream: 2 incoming files")
    assert tree(jp_root_dir) == before and not (clone / "NEW.md").exists(), "loading the page synced"
    head = subprocess.run(["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    assert head.strip() != world_env.repos.head("identity-open")


async def test_a_post_without_the_xsrf_token_is_refused(world_env, jp_fetch, jp_root_dir):
    world_env.repos.create("identity-open", template="notebooks", commits=1)
    code, listed = await call(jp_fetch, "GET", "repos", "alice")
    repo = next(r for r in listed["repos"] if r["name"] == "identity-open")
    headers = {"Cookie": f"studioUserProfileName=alice; _xsrf={XSRF}"}  # the cookie, but no X-XSRFToken
    from tornado.httpclient import HTTPClientError

    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("studio-collab", "repos", repo["id"], "clone", method="POST", body="{}", headers=headers)
    assert err.value.code == 403
    assert not (jp_root_dir / "work").exists()
