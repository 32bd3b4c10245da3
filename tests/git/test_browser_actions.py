"""The Repositories section's other buttons in Debian chromium, on a real `jupyter lab` against the local world:
Cancel during a clone, Open, Copy open link, and Back up and re-clone after upstream rewrote its history. Judged
by git and the file system, not by the panel's own words alone."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import requests

from tests.helpers import wait_until
from tests.servers import start_lab
from tests.ui.conftest import browser, open_panel, page, show_panel  # noqa: F401 - browser, page: fixtures

pytestmark = [pytest.mark.ui, pytest.mark.world]

REWRITTEN = "reclone-ui"  # a repo of this test's own: its history is rewritten below


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60).stdout


def leftovers(root: Path) -> list[str]:
    return [p.name for p in root.iterdir() if ".studio-collab-clone-" in p.name]


def rewrite_history(bare: Path, text: str) -> str:
    """A force push of an unrelated history onto main, done with git's plumbing on the world's bare repo."""
    env_git = ["-c", "user.name=Upstream", "-c", "user.email=upstream@example.com"]
    blob = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=bare, input=text, capture_output=True, text=True, check=True
    ).stdout.strip()
    tree = subprocess.run(
        ["git", "mktree"],
        cwd=bare,
        input=f"100644 blob {blob}\tREADME.md\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    commit = git(bare, *env_git, "commit-tree", tree, "-m", "history rewritten upstream").strip()
    git(bare, "update-ref", "refs/heads/main", commit)
    return commit


@pytest.fixture
def actions_lab(world_env, tmp_path):
    if not world_env.repos.bare_path(REWRITTEN).exists():
        world_env.repos.create(REWRITTEN, template="notebooks", commits=2)
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "StudioCollabApp": {
                    "repositories": [
                        {"url": world_env.repo_url(name), "name": name}
                        for name in ("team-notebooks", "churn-model", REWRITTEN)
                    ],
                    "git_fetch_interval_seconds": 0,
                }
            }
        )
    )
    server = start_lab(tmp_path / "root", env={"JUPYTER_CONFIG_DIR": str(config_dir)})
    yield server
    server.stop()


def clone(page, name: str):
    repo = page.locator(".jp-StudioCollab-repo", has_text=name)
    repo.get_by_text("not cloned").wait_for(timeout=30_000)
    repo.locator('button[data-action="clone"]').click()
    repo.locator('button[data-action="sync"]').wait_for(timeout=90_000)
    return repo


def test_cancel_open_and_copy_open_link(page, actions_lab, world_env):
    root = actions_lab.root_dir
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=f"http://127.0.0.1:{actions_lab.port}")
    open_panel(page, actions_lab)

    # Cancel: a clone served slowly (one fetch at 2 kB/s), cancelled once git is writing its temp folder
    world_env.git_faults(rate_limit_bps=2000, count=1)
    slow = page.locator(".jp-StudioCollab-repo", has_text="churn-model")
    slow.get_by_text("not cloned").wait_for(timeout=30_000)
    slow.locator('button[data-action="clone"]').click()
    wait_until(lambda: leftovers(root), timeout=60, what="the clone's temp folder")
    slow.locator('button[data-action="cancel"]').click()
    slow.locator('button[data-action="clone"]').wait_for(timeout=60_000)  # back to "not cloned", Clone offered
    assert slow.get_attribute("data-state") == "not_cloned"
    wait_until(lambda: leftovers(root) == [], timeout=30, what="the temp folder removed")
    assert not (root / "churn-model").exists()
    world_env.git_faults()

    # Open: the file browser goes to the clone
    repo = clone(page, "team-notebooks")
    repo.locator('button[data-action="open"]').click()
    listing = page.locator(".jp-FileBrowser .jp-DirListing-content")
    listing.locator(".jp-DirListing-item", has_text="explore.ipynb").wait_for(timeout=30_000)
    crumbs = page.locator(".jp-FileBrowser .jp-BreadCrumbs")
    assert "team-notebooks" in crumbs.inner_text()
    show_panel(page)  # the file browser took the sidebar: the panel back, by its command

    # Copy open link: the link on the clipboard is the open page of this repo, and it answers
    repo.locator('button[data-action="copy-link"]').click()
    page.locator(".Toastify__toast", has_text="Open link to team-notebooks copied").first.wait_for(timeout=15_000)
    link = page.evaluate("navigator.clipboard.readText()")
    repo_id = repo.get_attribute("data-repo-id")
    assert link.startswith(f"{actions_lab.url}studio-collab/open?repo={repo_id}"), link
    opened = requests.get(link, headers=actions_lab.headers, timeout=30)
    assert opened.status_code == 200 and "team-notebooks" in opened.text
    assert page.console_errors == []


def test_back_up_and_reclone_after_upstream_rewrote_history(page, actions_lab, world_env):
    root = actions_lab.root_dir
    open_panel(page, actions_lab)
    repo = clone(page, REWRITTEN)
    (root / REWRITTEN / "my-notes.txt").write_text("work I must not lose\n")
    new_head = rewrite_history(world_env.repos.bare_path(REWRITTEN), "# a brand new history\n")

    repo.locator('button[data-action="sync"]').click()
    error = repo.locator(".jp-StudioCollab-error")
    error.wait_for(timeout=60_000)
    assert error.locator(".jp-StudioCollab-errorCode").inner_text() == "history_diverged"
    repo.locator('button[data-action="reclone"]').click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_text(f"Back up and re-clone {REWRITTEN}?").wait_for(timeout=10_000)
    dialog.get_by_role("button", name="Back up and re-clone").click()
    wait_until(
        lambda: (root / REWRITTEN / ".git").is_dir() and git(root / REWRITTEN, "rev-parse", "HEAD").strip() == new_head,
        timeout=90,
        what="a fresh clone of the rewritten history",
    )
    # git has the new clone a moment before the panel hears that the job ended: wait for the row to drop the
    # sync's error (Sync was on the row all along, so waiting for it alone proves nothing)
    error.wait_for(state="hidden", timeout=30_000)
    repo.locator('button[data-action="sync"]').wait_for(timeout=30_000)
    assert repo.get_attribute("data-state") == "cloned"
    # the old folder was renamed, never deleted: my file is in the backup
    backups = [p for p in root.iterdir() if p.name != REWRITTEN and p.name.startswith(REWRITTEN)]
    assert [p for p in backups if (p / "my-notes.txt").read_text() == "work I must not lose\n"], backups
    assert (root / REWRITTEN / "README.md").read_text() == "# a brand new history\n"
    assert page.console_errors == []
