"""JupyterLab loads in Debian chromium, the panel opens from its sidebar icon and shows the context header."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.ui.conftest import open_panel, screenshot

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_panel_opens_and_shows_context(page, lab):
    open_panel(page, lab)
    header = page.locator(".jp-StudioCollab-header")
    header.get_by_text("Not running in SageMaker Studio.").wait_for(timeout=15_000)
    for title in ("Repositories", "Share", "Experiments", "Cost"):
        assert page.locator(".jp-StudioCollab-sectionToggle", has_text=title).count() == 1
    # keyboard: the section toggles are real buttons
    toggle = page.locator(".jp-StudioCollab-sectionToggle", has_text="Repositories")
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    shot = screenshot(page, "panel-outside-studio.png")
    assert shot.stat().st_size > 10_000
    # the README shows this screenshot
    (DOCS / "screenshots").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, DOCS / "screenshots" / "panel.png")
    assert page.console_errors == []
