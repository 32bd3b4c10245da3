"""The Repositories section and the open link in Debian chromium, on a real `jupyter lab` against the local world:
clone with progress, sync with its per-file report, and an open link that syncs then opens the file."""

from __future__ import annotations

import json

import pytest

from tests.servers import start_lab
from tests.ui.conftest import browser, open_panel, page, screenshot  # noqa: F401 - browser, page: fixtures

pytestmark = [pytest.mark.ui, pytest.mark.world]


@pytest.fixture
def git_lab(world_env, tmp_path):
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "StudioCollabApp": {
                    "repositories": [
                        {
                            "url": world_env.repo_url("team-notebooks"),
                            "name": "team-notebooks",
                            "description": "Notebooks the whole team shares",
                        }
                    ],
                    "git_fetch_interval_seconds": 0,
                }
            }
        )
    )
    server = start_lab(tmp_path / "root", env={"JUPYTER_CONFIG_DIR": str(config_dir)})
    yield server
    server.stop()


def test_clone_sync_and_open_link_in_the_browser(page, git_lab, world_env):
    open_panel(page, git_lab)
    repo = page.locator(".jp-StudioCollab-repo", has_text="team-notebooks")
    repo.get_by_text("not cloned").wait_for(timeout=30_000)
    repo.locator('button[data-action="clone"]').click()
    repo.locator('button[data-action="sync"]').wait_for(timeout=60_000)
    assert repo.get_attribute("data-state") == "cloned"
    page.get_by_text("team-notebooks is cloned into team-notebooks.").first.wait_for(timeout=15_000)
    assert (git_lab.root_dir / "team-notebooks" / ".git").is_dir()

    (git_lab.root_dir / "team-notebooks" / "README.md").write_text("my local notes\n")
    world_env.repos.commit("team-notebooks", {"SCHEDULE.md": "Week 1\n"}, "Add schedule")
    repo.locator('button[data-action="sync"]').click()
    preview = repo.locator(".jp-StudioCollab-syncPreview")  # preview first: nothing changes yet
    preview.locator('li[data-outcome="updated"]', has_text="SCHEDULE.md").wait_for(timeout=60_000)
    assert not (git_lab.root_dir / "team-notebooks" / "SCHEDULE.md").exists()
    screenshot(page, "git-section-sync-preview.png")
    preview.locator('button[data-action="confirm-sync"]').click()
    report = repo.locator(".jp-StudioCollab-syncReport")
    report.wait_for(timeout=60_000)
    report.locator('li[data-outcome="updated"]', has_text="SCHEDULE.md").wait_for()
    assert (git_lab.root_dir / "team-notebooks" / "README.md").read_text() == "my local notes\n"
    assert (git_lab.root_dir / "team-notebooks" / "SCHEDULE.md").read_text() == "Week 1\n"
    screenshot(page, "git-section-after-sync.png")
    report.locator('button[data-action="undo"]').click()  # "Undo sync", confirmed in a dialog
    page.locator(".jp-Dialog").get_by_role("button", name="Undo sync").click()
    report.wait_for(state="detached", timeout=60_000)
    assert not (git_lab.root_dir / "team-notebooks" / "SCHEDULE.md").exists()
    assert (git_lab.root_dir / "team-notebooks" / "README.md").read_text() == "my local notes\n"

    repo_id = repo.get_attribute("data-repo-id")
    world_env.repos.commit("team-notebooks", {"LATER.md": "more\n"}, "Later change")
    page.goto(f"{git_lab.url}studio-collab/open?repo={repo_id}&path=LATER.md")
    # The page asks first (issue #15): the repo, the file, what a click does; loading it syncs nothing.
    page.get_by_text("Sync 'team-notebooks' with upstream").wait_for(timeout=30_000)
    assert not (git_lab.root_dir / "team-notebooks" / "LATER.md").exists()
    page.get_by_role("button", name="Sync and open").click()
    page.wait_for_url("**/lab/tree/team-notebooks/LATER.md", timeout=60_000)
    page.locator(".lm-TabBar-tab", has_text="LATER.md").first.wait_for(timeout=60_000)
    assert (git_lab.root_dir / "team-notebooks" / "LATER.md").read_text() == "more\n"
    assert page.console_errors == []
