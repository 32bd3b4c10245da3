"""The git routes against the local Studio world: its emulator (catalog sources, Secrets Manager) and its HTTPS
git server (clone, progress, token, faults). Nothing here is mocked."""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import subprocess
import time
from urllib.parse import quote, urlsplit

import pytest
from tornado.httpclient import HTTPClientError

from tests.helpers import error_of, until, wait_job

pytestmark = pytest.mark.world

SECRET = "studio-collab/git/feature-store"  # seeded by the demo scenario with the git server's token


@pytest.fixture
def studio_collab_config(request, world_env, monkeypatch):
    """Per-test config from ``@pytest.mark.git_config(key=value or callable(world))``; ``no_ca_env=True``
    starts the server without GIT_SSL_CAINFO; ``git_rate_limit_bps=N`` serves fetches that slowly from the start
    (the world fixture clears it)."""
    config = {"git_fetch_interval_seconds": 0, "git_timeout_seconds": 60}
    marker = request.node.get_closest_marker("git_config")
    for key, value in (marker.kwargs if marker else {}).items():
        if key == "no_ca_env":
            monkeypatch.delenv("GIT_SSL_CAINFO")
            continue
        if key == "git_rate_limit_bps":
            world_env.git_faults(rate_limit_bps=value)
            continue
        config[key] = value(world_env) if callable(value) else value
    return config


async def repos(jp_fetch, openapi_validator=None) -> dict:
    body = json.loads((await jp_fetch("studio-collab", "repos")).body)
    if openapi_validator is not None:
        openapi_validator.validate("get", "/repos", 200, body)
    return body


def by_name(body: dict, name: str) -> dict:
    return next(r for r in body["repos"] if r["name"] == name)


async def post(jp_fetch, *path: str, body: dict | None = None) -> dict:
    response = await jp_fetch("studio-collab", *path, method="POST", body=json.dumps(body or {}))
    assert response.code == 202
    return json.loads(response.body)["job"]


def data_repo(world, name: str = "progress-data", files: int = 250) -> str:
    """A repo of ~4 MB of incompressible data, made once per session: big enough for git to report progress."""
    if not world.repos.bare_path(name).exists():
        import base64
        import random

        rng = random.Random(name)
        world.repos.create(name, template="library", commits=1)
        world.repos.commit(
            name,
            {f"data/part-{i:03d}.txt": base64.b64encode(rng.randbytes(12_000)).decode() for i in range(files)},
            "Add data",
        )
    return world.repo_url(name)


def pack_bytes(world, name: str) -> int:
    """The size of the pack git makes of every object of the world's repo ``name`` (what a clone transfers)."""
    bare = str(world.repos.bare_path(name))
    objects = subprocess.run(["git", "-C", bare, "rev-list", "--objects", "--all"], capture_output=True, check=True)
    pack = subprocess.run(["git", "-C", bare, "pack-objects", "--stdout"], input=objects.stdout, capture_output=True)
    return len(pack.stdout)


def leftovers(root) -> list[str]:
    return [p.name for p in root.iterdir() if ".studio-collab-clone-" in p.name]


# --- catalog (G1) ------------------------------------------------------------------------------------
@pytest.mark.git_config(
    repositories=lambda w: [
        {
            "url": w.catalog_url("churn-model").replace(".git", "") + "/",
            "name": "Churn (admin)",
            "branch": "main",
            "description": "Admin's copy of the domain repo",
        },
        {"url": "https://git.example.invalid/ops/runbooks.git", "target": "ops/runbooks"},
    ]
)
async def test_catalog_merges_config_domain_space_and_profile(world_env, jp_fetch, openapi_validator):
    body = await repos(jp_fetch, openapi_validator)
    sources = {r["name"]: r["source"] for r in body["repos"]}
    # churn-model: config + domain, deduped to the admin's entry; team-notebooks: domain; feature-store: profile
    assert sources == {
        "Churn (admin)": "config",
        "runbooks": "config",
        "team-notebooks": "domain",
        "feature-store": "user_profile",
    }
    assert all(
        set(r)
        <= {
            "id",
            "name",
            "url",
            "branch",
            "target",
            "source",
            "description",
            "private",
            "state",
            "status",
            "error",
            "job",
        }
        for r in body["repos"]
    )
    assert by_name(body, "runbooks")["target"] == "ops/runbooks"
    calls = world_env.calls()
    await repos(jp_fetch)
    assert world_env.calls() == calls, "the catalog is cached: a second GET makes no AWS call"


@pytest.mark.world_space("team-space")
async def test_shared_space_adds_default_space_settings_and_space_repos(world_env, jp_fetch):
    body = await repos(jp_fetch)
    names = sorted(r["name"] for r in body["repos"])
    assert names == ["churn-model", "feature-store", "team-notebooks"]
    assert by_name(body, "churn-model")["source"] == "space"


async def test_a_domain_repo_with_a_port_less_url_clones_over_verified_tls(world_env, jp_fetch, jp_root_dir):
    """The domain lists the world's git server as Studio requires (no port); git reaches it on the port the
    server bound itself, with the world's CA checked, and the clone's origin keeps the listed URL."""
    repo = by_name(await repos(jp_fetch), "team-notebooks")
    assert repo["source"] == "domain" and repo["url"] == world_env.catalog_url("team-notebooks")
    assert urlsplit(repo["url"]).port is None
    job = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"])
    assert job["state"] == "succeeded", job
    folder = jp_root_dir / "team-notebooks"
    git = ["git", "-C", str(folder)]
    assert subprocess.run([*git, "remote", "get-url", "origin"], capture_output=True, text=True).stdout.strip() == (
        world_env.catalog_url("team-notebooks")
    )
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert head == world_env.repos.head("team-notebooks")


@pytest.mark.git_config(repositories=[{"url": "http://git.example.com/plain.git"}])
async def test_a_bad_scheme_is_refused_at_config_load_naming_the_entry(world_env, jp_fetch):
    status = json.loads((await jp_fetch("studio-collab", "status")).body)
    git = status["features"]["git"]
    assert git["available"] is False
    assert (
        "StudioCollabApp.repositories is refused: repositories[0] (http://git.example.com/plain.git)" in git["reason"]
    )
    assert [p["option"] for p in status["config_problems"]] == ["repositories"]
    code, body = await error_of(jp_fetch("studio-collab", "repos"))
    assert code == 503 and body["code"] == "feature_config_refused" and body["message"] == git["reason"]


async def test_unknown_ids_are_404(world_env, jp_fetch):
    for path in (("repos", "no-such-repo", "clone"), ("repos", "no-such-repo", "sync")):
        code, body = await error_of(jp_fetch("studio-collab", *path, method="POST", body="{}"))
        assert code == 404 and body["code"] == "repo_not_found"
    code, body = await error_of(jp_fetch("studio-collab", "repos", "Bad..Id", "clone", method="POST", body="{}"))
    assert code == 404


# --- clone (G2, G6) ------------------------------------------------------------------------------------
@pytest.mark.git_config(repositories=lambda w: [{"url": w.repo_url("team-notebooks"), "target": "work/notebooks"}])
async def test_clone_public_repo_over_https(world_env, jp_fetch, jp_root_dir, openapi_validator):
    repo = by_name(await repos(jp_fetch), "team-notebooks")
    assert repo["state"] == "not_cloned" and repo["status"] is None
    first, second = await asyncio.gather(
        post(jp_fetch, "repos", repo["id"], "clone"), post(jp_fetch, "repos", repo["id"], "clone")
    )
    assert first["id"] == second["id"], "two clicks, one clone"
    job = await wait_job(jp_fetch, first["id"])
    assert job["state"] == "succeeded", job
    openapi_validator.validate("get", f"/jobs/{job['id']}", 200, {"job": job})
    assert (jp_root_dir / "work/notebooks/.git").is_dir() and leftovers(jp_root_dir / "work") == []
    cloned = by_name(await repos(jp_fetch, openapi_validator), "team-notebooks")
    assert cloned["state"] == "cloned"
    assert cloned["status"]["branch"] == "main" and cloned["status"]["dirty"] == 0
    assert cloned["status"]["updates_available"] is False
    code, body = await error_of(jp_fetch("studio-collab", "repos", repo["id"], "clone", method="POST", body="{}"))
    assert code == 409 and body["code"] == "already_cloned"


@pytest.mark.git_config(repositories=lambda w: [{"url": w.repo_url("team-notebooks")}])
async def test_existing_folder_that_is_not_the_repo_is_409(world_env, jp_fetch, jp_root_dir):
    (jp_root_dir / "team-notebooks").mkdir()
    (jp_root_dir / "team-notebooks" / "mine.txt").write_text("do not touch")
    repo = by_name(await repos(jp_fetch), "team-notebooks")
    assert repo["state"] == "error" and repo["error"]["code"] == "target_occupied"
    code, body = await error_of(jp_fetch("studio-collab", "repos", repo["id"], "clone", method="POST", body="{}"))
    assert code == 409 and body["code"] == "target_occupied"
    assert (jp_root_dir / "team-notebooks" / "mine.txt").read_text() == "do not touch"


@pytest.mark.git_config(repositories=lambda w: [{"url": w.repo_url("team-notebooks"), "target": "escape/nb"}])
async def test_target_through_a_symlink_out_of_the_root_is_refused(world_env, jp_fetch, jp_root_dir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (jp_root_dir / "escape").symlink_to(outside)
    repo = by_name(await repos(jp_fetch), "team-notebooks")
    assert repo["state"] == "error" and repo["error"]["code"] == "path_outside_root"
    code, body = await error_of(jp_fetch("studio-collab", "repos", repo["id"], "clone", method="POST", body="{}"))
    assert code == 400 and body["code"] == "path_outside_root"
    assert list(outside.iterdir()) == []


@pytest.mark.git_config(repositories=lambda w: [{"url": w.repo_url("churn-model")}])
async def test_server_killed_mid_clone_leaves_nothing_and_retry_works(world_env, jp_fetch, jp_root_dir):
    repo = by_name(await repos(jp_fetch), "churn-model")
    world_env.git_faults(cut_after_bytes=2000, count=1)
    job = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"])
    assert job["state"] == "failed" and job["error"]["code"] == "git_network", job
    assert not (jp_root_dir / "churn-model").exists() and leftovers(jp_root_dir) == []
    failed = by_name(await repos(jp_fetch), "churn-model")
    assert failed["state"] == "error" and failed["error"]["code"] == "git_network"
    job = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"])
    assert job["state"] == "succeeded", job
    assert (jp_root_dir / "churn-model" / ".git").is_dir()


@pytest.mark.git_config(repositories=lambda w: [{"url": w.repo_url("churn-model")}])
async def test_cancel_mid_clone_kills_git_and_leaves_nothing(world_env, jp_fetch, jp_root_dir):
    repo = by_name(await repos(jp_fetch), "churn-model")
    world_env.git_faults(rate_limit_bps=2000)  # until the test ends (the fixture clears it)
    job = await post(jp_fetch, "repos", repo["id"], "clone")
    await until(lambda: leftovers(jp_root_dir), what="the clone's temp folder (git is fetching)")
    cancelled = json.loads((await jp_fetch("studio-collab", "jobs", job["id"], method="DELETE")).body)["job"]
    assert cancelled["id"] == job["id"]
    final = await wait_job(jp_fetch, job["id"])
    assert final["state"] == "cancelled"
    await until(lambda: leftovers(jp_root_dir) == [], timeout=10, what="the temp folder removed")
    assert not (jp_root_dir / "churn-model").exists()
    listed = by_name(await repos(jp_fetch), "churn-model")
    assert listed["state"] == "not_cloned" and listed["job"] is None


@pytest.mark.git_config(git_timeout_seconds=2, repositories=lambda w: [{"url": w.repo_url("churn-model")}])
async def test_timeout_kills_git(world_env, jp_fetch, jp_root_dir):
    repo = by_name(await repos(jp_fetch), "churn-model")
    rate = 50  # bytes per second
    # What the whole transfer would take at that rate, from the pack git itself makes of the repo's objects.
    whole = pack_bytes(world_env, "churn-model") / rate
    assert whole >= 40, whole  # 20× the product's 2 s timeout: a kill, not a slow finish, ends the clone
    world_env.git_faults(rate_limit_bps=rate)
    job = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"], timeout=whole / 2)
    assert job["state"] == "failed" and job["error"]["code"] == "git_timeout", job
    assert not (jp_root_dir / "churn-model").exists() and leftovers(jp_root_dir) == []


@pytest.mark.git_config(repositories=lambda w: [{"url": data_repo(w)}])
async def test_progress_events_arrive_and_are_throttled(world_env, jp_fetch, jp_root_dir):
    repo = by_name(await repos(jp_fetch), "progress-data")
    world_env.git_faults(rate_limit_bps=1_000_000)
    job = await post(jp_fetch, "repos", repo["id"], "clone")
    arrivals: list[tuple[float, dict]] = []
    buffer = b""

    def on_chunk(chunk: bytes) -> None:
        nonlocal buffer
        buffer += chunk
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            for line in event.decode().splitlines():
                if line.startswith("data: "):
                    arrivals.append((time.monotonic(), json.loads(line[6:])))

    await jp_fetch("studio-collab", "jobs", job["id"], "events", streaming_callback=on_chunk, request_timeout=120)
    states = [event["state"] for _, event in arrivals]
    assert states[-1] == "succeeded", arrivals[-1]
    running = [(t, e) for t, e in arrivals if e["state"] == "running"]
    progress = [e["progress"] for _, e in running]
    assert len(set(progress)) >= 3, "progress moved while the clone ran"
    assert progress == sorted(progress), "the bar only moves forward"
    assert any("Receiving objects" in e["message"] for _, e in running)
    # Throttling is judged on the server's own clock (`updated`): arrival times bunch up on a busy client.
    # The first running event is the state change itself, which is pushed at once; progress follows it.
    reports = [e["updated"] for _, e in running][1:]
    gaps = [b - a for a, b in zip(reports, reports[1:])]
    assert len(reports) / max(0.5, reports[-1] - reports[0]) <= 6, "throttled to a few updates a second"
    # The median, not the minimum: one update delayed by a busy loop makes the next gap short.
    assert statistics.median(gaps or [1]) >= 0.2


# --- private repos (G5) -----------------------------------------------------------------------------
@pytest.mark.git_config(repositories=lambda w: [{"url": w.repo_url("feature-store"), "credentials_secret": SECRET}])
async def test_clone_private_repo_token_never_leaks(world_env, jp_fetch, jp_root_dir, caplog, monkeypatch):
    import subprocess

    from studio_collab.git import command

    token = world_env.git_token
    launched: list[tuple[list, dict]] = []
    real_popen = subprocess.Popen

    def recording_popen(argv, *args, **kwargs):  # a spy: the real git still runs
        launched.append((list(argv), dict(kwargs.get("env") or {})))
        return real_popen(argv, *args, **kwargs)

    monkeypatch.setattr(command.subprocess, "Popen", recording_popen)
    caplog.set_level(logging.DEBUG)
    listing = await jp_fetch("studio-collab", "repos")
    repo = by_name(json.loads(listing.body), "feature-store")
    assert repo["private"] is True and "credentials_secret" not in repo
    job = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"])
    assert job["state"] == "succeeded", job
    after = await jp_fetch("studio-collab", "repos")
    folder = jp_root_dir / "feature-store"
    assert (folder / ".git").is_dir()
    assert token not in (folder / ".git" / "config").read_text()
    assert not list(folder.glob(".git/**/*credential*"))
    for text in (listing.body.decode(), after.body.decode(), json.dumps(job), caplog.text):
        assert token not in text
    assert launched and all(token not in " ".join(argv) for argv, _ in launched)
    with_token = [env for _, env in launched if token in env.values()]
    assert with_token and all(env["GIT_ASKPASS"] and env["GIT_TERMINAL_PROMPT"] == "0" for env in with_token)
    import os

    assert token not in os.environ.values()


@pytest.mark.git_config(repositories=lambda w: [{"url": w.repo_url("feature-store")}])
async def test_private_repo_without_credentials_fails_with_a_next_step(world_env, jp_fetch, jp_root_dir):
    repo = by_name(await repos(jp_fetch), "feature-store")
    job = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"])
    assert job["state"] == "failed" and job["error"]["code"] == "git_auth_failed"
    assert "credentials_secret" in job["error"]["message"]
    assert not (jp_root_dir / "feature-store").exists()


@pytest.mark.git_config(
    repositories=lambda w: [{"url": w.repo_url("feature-store")}],
    git_credentials=lambda w: {w.git_base_url: "other-secret", w.repo_url("feature-store"): "wrong-token-secret"},
)
async def test_git_credentials_prefix_applies_and_a_wrong_token_is_not_echoed(world_env, jp_fetch, caplog):
    world_env.client("secretsmanager").create_secret(Name="wrong-token-secret", SecretString="not-the-token-xyz")
    caplog.set_level(logging.DEBUG)
    repo = by_name(await repos(jp_fetch), "feature-store")
    assert repo["private"] is True
    job = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"])
    assert job["state"] == "failed" and job["error"]["code"] == "git_auth_failed", job
    assert "not-the-token-xyz" not in json.dumps(job) + caplog.text


@pytest.mark.git_config(no_ca_env=True, repositories=lambda w: [{"url": w.repo_url("team-notebooks")}])
async def test_untrusted_ca_fails_and_tls_verification_stays_on(world_env, jp_fetch, jp_root_dir):
    repo = by_name(await repos(jp_fetch), "team-notebooks")
    job = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"])
    assert job["state"] == "failed" and job["error"]["code"] == "git_tls_untrusted", job
    assert "git_ca_bundle" in job["error"]["message"]
    assert not (jp_root_dir / "team-notebooks").exists()


@pytest.mark.git_config(
    no_ca_env=True,
    git_ca_bundle=lambda w: str(w.ca_bundle),
    repositories=lambda w: [{"url": w.repo_url("team-notebooks")}],
)
async def test_company_ca_is_trusted_through_git_ca_bundle(world_env, jp_fetch, jp_root_dir):
    repo = by_name(await repos(jp_fetch), "team-notebooks")
    job = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"])
    assert job["state"] == "succeeded", job


# --- sync (G3) and open links (G8) --------------------------------------------------------------------
@pytest.mark.git_config(repositories=lambda w: [{"url": w.repo_url("team-notebooks"), "branch": "main"}])
async def test_sync_reports_each_file_and_backup_and_reclone(world_env, jp_fetch, jp_root_dir, openapi_validator):
    repo = by_name(await repos(jp_fetch), "team-notebooks")
    code, body = await error_of(jp_fetch("studio-collab", "repos", repo["id"], "sync", method="POST", body="{}"))
    assert code == 409 and body["code"] == "not_cloned"
    cloned = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"])
    assert cloned["state"] == "succeeded"
    folder = jp_root_dir / "team-notebooks"
    (folder / "README.md").write_text("my notes\n")
    world_env.repos.commit("team-notebooks", {"NEW.md": "from upstream\n"}, "Add NEW.md")
    job = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "sync"))["id"])
    assert job["state"] == "succeeded", job
    openapi_validator.validate("get", f"/jobs/{job['id']}", 200, {"job": job})
    assert {"path": "NEW.md", "outcome": "updated", "detail": "New from upstream."} in job["result"]["files"]
    assert (folder / "README.md").read_text() == "my notes\n" and (folder / "NEW.md").exists()

    code, body = await error_of(
        jp_fetch(
            "studio-collab", "repos", repo["id"], "sync", method="POST", body=json.dumps({"backup_and_reclone": "yes"})
        )
    )
    assert code == 400
    job = await wait_job(
        jp_fetch, (await post(jp_fetch, "repos", repo["id"], "sync", body={"backup_and_reclone": True}))["id"]
    )
    assert job["state"] == "succeeded", job
    backup = jp_root_dir / job["result"]["backup"]
    assert (backup / "README.md").read_text() == "my notes\n", "the old folder is renamed, never deleted"
    assert (folder / ".git").is_dir() and (folder / "README.md").read_text() != "my notes\n"


EVIL_NAME = "nb</script><script>alert(1)</script>"


@pytest.mark.git_config(
    repositories=lambda w: [{"url": w.repo_url("team-notebooks"), "name": EVIL_NAME, "target": "team-notebooks"}]
)
async def test_open_page_changes_nothing_and_escapes_its_data(world_env, jp_fetch, jp_root_dir):
    repo = by_name(await repos(jp_fetch), EVIL_NAME)
    path = "notebooks/<img src=x onerror=alert(1)>.ipynb"
    response = await jp_fetch("studio-collab", "open", params={"repo": repo["id"], "path": path})
    page = response.body.decode()
    assert response.code == 200 and response.headers["Content-Type"].startswith("text/html")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'nonce-" in csp and "unsafe-inline" not in csp
    assert "<script>alert" not in page and "<img" not in page
    data = json.loads(page.split('id="studio-collab-open">', 1)[1].split("</script>", 1)[0])
    assert data["verb"] == "clone" and data["repo_id"] == repo["id"] and data["title"] == f"Open {EVIL_NAME}"
    assert data["plan"] == f"Clone {EVIL_NAME} into the folder 'team-notebooks'." and data["file"] == path
    assert data["open_url"].endswith("lab/tree/team-notebooks/" + quote(path))
    assert "textContent" in page and "innerHTML" not in page
    assert "_xsrf" in response.headers.get("Set-Cookie", "")
    assert not (jp_root_dir / "team-notebooks").exists(), "loading the page clones nothing"
    assert by_name(await repos(jp_fetch), EVIL_NAME)["job"] is None


@pytest.mark.git_config(repositories=lambda w: [{"url": w.repo_url("team-notebooks")}])
async def test_open_page_refuses_unknown_repos_and_escaping_paths(world_env, jp_fetch):
    repo = by_name(await repos(jp_fetch), "team-notebooks")
    code, body = await error_of(jp_fetch("studio-collab", "open", params={"repo": "not-in-catalog", "path": "a"}))
    assert code == 404 and body["code"] == "repo_not_found"
    for bad in ("../../etc/passwd", "/etc/passwd", ".git/config"):
        code, body = await error_of(jp_fetch("studio-collab", "open", params={"repo": repo["id"], "path": bad}))
        assert code == 400 and body["code"] == "invalid_path", bad
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("studio-collab", "open", params={"repo": "nope"}, headers={"Accept": "text/html"})
    assert err.value.code == 404 and b"repo_not_found" in err.value.response.body
    assert err.value.response.headers["Content-Type"].startswith("text/html")


# --- auto-clone (G7) -----------------------------------------------------------------------------------
# The clone is served at 100 bytes/s (~20 s for this repo), so the order of events, not a stopwatch, shows that
# the server answers while the clone still runs.
@pytest.mark.git_config(
    auto_clone=True, git_rate_limit_bps=100, repositories=lambda w: [{"url": w.repo_url("team-notebooks")}]
)
async def test_auto_clone_after_start_without_delaying_the_server(world_env, jp_fetch, jp_root_dir):
    await jp_fetch("studio-collab", "status")
    assert not (jp_root_dir / "team-notebooks" / ".git").is_dir(), "the server answered only after the clone"
    assert by_name(await repos(jp_fetch), "team-notebooks")["state"] in ("not_cloned", "cloning")  # in the background
    await until(lambda: (jp_root_dir / "team-notebooks" / ".git").is_dir(), timeout=180, what="the auto-clone")

    async def cloned() -> bool:
        return by_name(await repos(jp_fetch), "team-notebooks")["state"] == "cloned"

    await until(cloned, timeout=30, what="the repo listed as cloned")


# --- status (G4) -----------------------------------------------------------------------------------------
@pytest.mark.git_config(git_fetch_interval_seconds=1, repositories=lambda w: [{"url": w.repo_url("team-notebooks")}])
async def test_background_fetch_shows_updates_available_without_touching_files(world_env, jp_fetch, jp_root_dir):
    repo = by_name(await repos(jp_fetch), "team-notebooks")
    cloned = await wait_job(jp_fetch, (await post(jp_fetch, "repos", repo["id"], "clone"))["id"])
    assert cloned["state"] == "succeeded"
    folder = jp_root_dir / "team-notebooks"
    (folder / "scratch.txt").write_text("untracked\n")
    world_env.repos.commit("team-notebooks", {"UPSTREAM.md": "new\n"}, "Upstream change")

    async def updates_seen():
        status = by_name(await repos(jp_fetch), "team-notebooks")["status"]
        return status if status["updates_available"] else None

    status = await until(updates_seen, timeout=30, interval=0.3, what="the background fetch to see the upstream")
    assert status["behind"] == 1 and status["ahead"] == 0 and status["dirty"] == 1
    assert not (folder / "UPSTREAM.md").exists(), "a fetch never changes the working tree"
