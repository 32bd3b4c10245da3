"""A clone's progress in Debian chromium (issue #20): the row shows git's phase and percent, not a frozen
"Starting clone", and a page reloaded in the middle of the clone follows the same job on to its end."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import requests

from tests.servers import start_lab
from tests.ui.conftest import browser, open_panel, page  # noqa: F401 - browser, page: fixtures

pytestmark = [pytest.mark.ui, pytest.mark.world]

PHASE = re.compile(
    r"(Counting objects|Compressing objects|Receiving objects|Resolving deltas|Checking out files)"
    r" (\d+)%"
)


@pytest.fixture
def slow_repo(world_env):
    name = f"sample-data-{uuid.uuid4().hex[:6]}"
    world_env.repos.create(name, template="dataset", commits=1)  # ~6 MB of poorly compressible files
    yield name
    world_env.git_faults()  # clear the bandwidth limit, whatever happened


@pytest.fixture
def git_lab(world_env, tmp_path, slow_repo):
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "StudioCollabApp": {
                    "repositories": [{"url": world_env.repo_url(slow_repo), "name": slow_repo}],
                    "git_fetch_interval_seconds": 0,
                }
            }
        )
    )
    server = start_lab(tmp_path / "root", env={"JUPYTER_CONFIG_DIR": str(config_dir)})
    yield server
    server.stop()


def progress_text(row) -> str:
    return row.locator(".jp-StudioCollab-repoProgress span").inner_text(timeout=5_000)


def test_reload_mid_clone_follows_the_same_job(page, git_lab, world_env, slow_repo):
    world_env.git_faults(rate_limit_bps=150_000, count=1)  # ~40 s for the pack: time to look and to reload
    events: list[str] = []
    page.on("request", lambda r: events.append(r.url) if "/studio-collab/jobs/" in r.url else None)
    open_panel(page, git_lab)
    row = page.locator(".jp-StudioCollab-repo", has_text=slow_repo)
    row.locator('button[data-action="clone"]').click()

    # git's own phase and percent, as it reports them
    page.wait_for_function(
        "() => /Receiving objects \\d+%/.test(document.querySelector("
        "'.jp-StudioCollab-repoProgress span')?.textContent ?? '')",
        timeout=30_000,
    )
    before = int(PHASE.search(progress_text(row)).group(2))
    repos = requests.get(f"{git_lab.url}studio-collab/repos", headers=git_lab.headers, timeout=10).json()["repos"]
    job = next(r["job"] for r in repos if r["name"] == slow_repo)
    assert job["state"] == "running" and job["kind"] == "git_clone"

    page.reload()
    page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
    open_panel(page, git_lab)
    row = page.locator(".jp-StudioCollab-repo", has_text=slow_repo)
    row.locator(".jp-StudioCollab-repoProgress").wait_for(timeout=30_000)
    # the reloaded page follows the job the server lists on the repo: the same id, no second clone
    page.wait_for_function(
        "n => document.querySelector('.jp-StudioCollab-repoProgress span')?.textContent"
        ".match(/Receiving objects (\\d+)%/)?.[1] > n",
        arg=before,
        timeout=30_000,
    )
    assert any(f"/jobs/{job['id']}/events" in url for url in events[-5:]), events
    row.locator('button[data-action="sync"]').wait_for(timeout=90_000)
    assert row.get_attribute("data-state") == "cloned"
    final = requests.get(f"{git_lab.url}studio-collab/jobs/{job['id']}", headers=git_lab.headers, timeout=10).json()
    assert final["job"]["state"] == "succeeded"
    assert (git_lab.root_dir / slow_repo / ".git").is_dir()
    assert page.console_errors == []
