"""Keep mine / take theirs in the sync report, in Debian chromium against the world's HTTPS git server: the
choices act on the file on disk (judged by git and nbformat), and Undo sync still restores the state before."""

from __future__ import annotations

import subprocess

import nbformat
import pytest

from tests.git.test_browser import git_lab  # noqa: F401 - fixture
from tests.git.test_sync_resolve import notebook
from tests.ui.conftest import browser, open_panel, page, screenshot  # noqa: F401 - browser, page: fixtures

pytestmark = [pytest.mark.ui, pytest.mark.world]


def test_keep_mine_and_take_theirs_from_the_sync_report(page, git_lab, world_env):  # noqa: F811
    world_env.repos.commit(
        "team-notebooks",
        {"conflict.txt": "one\ntwo\nthree\n", "analysis.ipynb": notebook("import math", "x = 1", "z = 0", "y = 1")},
        "Files both sides will change",
    )
    open_panel(page, git_lab)
    repo = page.locator(".jp-StudioCollab-repo", has_text="team-notebooks")
    repo.locator('button[data-action="clone"]').click()
    repo.locator('button[data-action="sync"]').wait_for(timeout=60_000)
    folder = git_lab.root_dir / "team-notebooks"
    (folder / "conflict.txt").write_text("one\nTWO (mine)\nthree\n")
    (folder / "analysis.ipynb").write_text(notebook("import math", "x = 'mine'", "z = 0", "y = 'mine'"))
    world_env.repos.commit(
        "team-notebooks",
        {
            "conflict.txt": "one\nTWO (theirs)\nthree\n",
            "analysis.ipynb": notebook("import math", "x = 'theirs'", "z = 0", "y = 'theirs'"),
        },
        "Same lines upstream",
    )

    repo.locator('button[data-action="sync"]').click()
    repo.locator('.jp-StudioCollab-syncPreview button[data-action="confirm-sync"]').click()
    report = repo.locator(".jp-StudioCollab-syncReport")
    text = report.locator('li[data-outcome="kept_both"]', has_text="conflict.txt")
    text.get_by_role("button", name="Take theirs: Whole file").wait_for(timeout=60_000)
    book = report.locator('li[data-outcome="kept_both"]', has_text="analysis.ipynb")
    assert book.locator("[data-conflict]").count() == 2  # one pair per cell conflict (sync-1, sync-2)
    screenshot(page, "sync-conflicts.png")

    text.get_by_role("button", name="Take theirs: Whole file").click()
    text.get_by_text("upstream's taken").wait_for(timeout=15_000)
    head = subprocess.run(
        ["git", "show", "HEAD:conflict.txt"], cwd=folder, capture_output=True, text=True, check=True
    ).stdout
    assert (folder / "conflict.txt").read_text() == head == "one\nTWO (theirs)\nthree\n"

    book.locator('[data-conflict="sync-1"]').get_by_role("button", name="Keep mine").click()
    book.locator('[data-conflict="sync-1"]').get_by_text("yours kept").wait_for(timeout=15_000)
    book.locator('[data-conflict="sync-2"]').get_by_role("button", name="Take theirs").click()
    book.locator('[data-conflict="sync-2"]').get_by_text("upstream's taken").wait_for(timeout=15_000)
    notebook_now = nbformat.reads((folder / "analysis.ipynb").read_text(), as_version=4)
    nbformat.validate(notebook_now)
    assert [c.source for c in notebook_now.cells] == ["import math", "x = 'theirs'", "z = 0", "y = 'mine'"]
    assert not page.console_errors, page.console_errors

    report.locator('button[data-action="undo"]').click()
    page.locator(".jp-Dialog").get_by_role("button", name="Undo sync").click()
    report.wait_for(state="detached", timeout=60_000)
    assert (folder / "conflict.txt").read_text() == "one\nTWO (mine)\nthree\n"
    assert [c.source for c in nbformat.reads((folder / "analysis.ipynb").read_text(), as_version=4).cells] == [
        "import math",
        "x = 'mine'",
        "z = 0",
        "y = 'mine'",
    ]
