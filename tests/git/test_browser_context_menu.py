"""The repo rows' context menu in Debian chromium, on a real `jupyter lab` against the local world: right-click on
a row offers JupyterLab's context menu with the actions of the row's state, and choosing one does what the row's
button does (Clone clones, judged by git; Open goes to the folder; Copy open link puts the repo's open link on
the clipboard)."""

from __future__ import annotations

import json
import subprocess

import pytest
import requests

from tests.servers import start_lab
from tests.ui.conftest import browser, open_panel, page, show_panel  # noqa: F401 - browser, page: fixtures

pytestmark = [pytest.mark.ui, pytest.mark.world]

ROW_ACTIONS = {"Clone", "Sync…", "Open", "Copy open link", "Cancel", "Back up and re-clone"}


@pytest.fixture
def menu_lab(world_env, tmp_path):
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "StudioCollabApp": {
                    "repositories": [{"url": world_env.repo_url("team-notebooks"), "name": "team-notebooks"}],
                    "git_fetch_interval_seconds": 0,
                }
            }
        )
    )
    server = start_lab(tmp_path / "root", env={"JUPYTER_CONFIG_DIR": str(config_dir)})
    yield server
    server.stop()


def menu_actions(page, row) -> list[str]:
    """Right-clicks the row; the row actions JupyterLab's context menu shows, in order."""
    row.locator(".jp-StudioCollab-repoName").click(button="right")
    menu = page.locator(".lm-Menu").last
    menu.wait_for(timeout=10_000)
    labels = [t.strip() for t in menu.locator(".lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel").all_inner_texts()]
    return [label for label in labels if label in ROW_ACTIONS]


def choose(page, label: str) -> None:
    menu = page.locator(".lm-Menu").last
    menu.locator(".lm-Menu-item").filter(has=page.get_by_text(label, exact=True)).click()


def test_context_menu_offers_the_rows_actions_and_runs_them(page, menu_lab, world_env):
    root = menu_lab.root_dir
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=f"http://127.0.0.1:{menu_lab.port}")
    open_panel(page, menu_lab)
    row = page.locator(".jp-StudioCollab-repo", has_text="team-notebooks")
    row.get_by_text("not cloned").wait_for(timeout=30_000)

    # not cloned: the menu offers what the buttons offer, Clone; choosing it clones (git is the judge)
    buttons = [b.strip() for b in row.locator(".jp-StudioCollab-actions button").all_inner_texts()]
    assert menu_actions(page, row) == buttons == ["Clone"]
    choose(page, "Clone")
    row.locator('button[data-action="sync"]').wait_for(timeout=90_000)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root / "team-notebooks", capture_output=True, text=True, check=True
    ).stdout.strip()
    assert head == world_env.repos.head("team-notebooks")

    # cloned: Sync…, Open, Copy open link, exactly the row's buttons
    buttons = [b.strip() for b in row.locator(".jp-StudioCollab-actions button").all_inner_texts()]
    assert menu_actions(page, row) == buttons == ["Sync…", "Open", "Copy open link"]

    # Copy open link from the menu: the repo's open page on the clipboard, and it answers
    choose(page, "Copy open link")
    page.locator(".Toastify__toast", has_text="Open link to team-notebooks copied").first.wait_for(timeout=15_000)
    link = page.evaluate("navigator.clipboard.readText()")
    assert link.startswith(f"{menu_lab.url}studio-collab/open?repo={row.get_attribute('data-repo-id')}"), link
    opened = requests.get(link, headers=menu_lab.headers, timeout=30)
    assert opened.status_code == 200 and "team-notebooks" in opened.text

    # Open from the menu: the file browser goes to the clone
    menu_actions(page, row)
    choose(page, "Open")
    listing = page.locator(".jp-FileBrowser .jp-DirListing-content")
    listing.locator(".jp-DirListing-item", has_text="explore.ipynb").wait_for(timeout=30_000)
    assert "team-notebooks" in page.locator(".jp-FileBrowser .jp-BreadCrumbs").inner_text()
    show_panel(page)
    assert page.console_errors == []
