"""Screenshots of each part of the panel on the demo world, light and dark, 1440x900, into docs/screenshots/.

    python -m tests.ui.screenshots        (after `jlpm build:prod`; `make screenshots` runs it)

Starts `studio-collab demo` (the local Studio world and JupyterLab on it, as `make lab` does) with this
checkout's built panel first on JupyterLab's extension path, shares one notebook to the team space so that
Shares has a row, then in Debian chromium opens the panel by its command and, per theme, takes: Repositories,
Shares and Cost (that section open, the others closed), and the Experiments tab with two runs compared.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import requests

from tests.servers import own_labextension
from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS, open_experiments, run_command, show_panel

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SECTIONS = {"repositories": 1, "shares": 2, "cost": 4}  # accordion positions (0 is "This space")
THEMES = {"light": "Use Theme: JupyterLab Light", "dark": "Use Theme: JupyterLab Dark"}


def start_demo(work: Path) -> tuple[subprocess.Popen, dict]:
    env = {**os.environ, "JUPYTER_PATH": str(own_labextension(work).parent)}
    process = subprocess.Popen(
        [sys.executable, "-m", "studio_collab.cli", "demo", "--scenario", "demo", "--root-dir", str(work / "root")],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("studio-collab demo exited before it was up")
        if line.startswith("{") and "lab_url" in line:
            return process, json.loads(line)
    raise RuntimeError("studio-collab demo did not come up in 300 s")


def stop(process: subprocess.Popen) -> None:
    with_group = os.getpgid(process.pid)
    os.killpg(with_group, signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(with_group, signal.SIGKILL)
        process.wait()


def share_a_notebook(demo: dict) -> None:
    """One share in the team space, made through the product's route as the panel's dialog makes it."""
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_markdown_cell("# Churn analysis"), nbformat.v4.new_code_cell("df.describe()")]
    (Path(demo["root_dir"]) / "churn-analysis.ipynb").write_text(nbformat.writes(book))
    api = demo["lab_url"].removesuffix("lab") + "studio-collab/"
    headers = {"Authorization": f"token {demo['token']}"}
    answer = requests.post(
        api + "shares", json={"path": "churn-analysis.ipynb", "target_space": "team-space"}, headers=headers, timeout=60
    )
    answer.raise_for_status()
    job = answer.json().get("job")
    deadline = time.monotonic() + 120
    while job and job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.3)
        job = requests.get(api + f"jobs/{job['id']}", headers=headers, timeout=30).json()["job"]


def only_section(page, position: int) -> None:
    """That accordion section open, the others closed (clicking a title toggles it)."""
    titles = page.locator(".jp-StudioCollab-panel .jp-AccordionPanel-title")
    for index in range(titles.count()):
        expanded = "lm-mod-expanded" in (titles.nth(index).get_attribute("class") or "")
        if expanded != (index == position):
            titles.nth(index).click()
    page.wait_for_timeout(800)


def take(page, theme: str) -> list[Path]:
    run_command(page, THEMES[theme])
    page.wait_for_function(
        f"() => document.body.dataset.jpThemeLight === '{str(theme == 'light').lower()}'", timeout=30_000
    )
    panel = page.locator(".jp-StudioCollab-panel")
    panel.wait_for(timeout=30_000)  # still shown in the sidebar (its first section may be closed)
    for part in (".jp-StudioCollab-repo", ".jp-StudioCollab-share", ".jp-StudioCollab-burnRate"):
        panel.locator(part).first.wait_for(state="attached", timeout=60_000)  # its section may be closed
    taken = []
    for name, position in SECTIONS.items():
        only_section(page, position)
        page.wait_for_timeout(1_000)  # charts redraw in the theme's colours
        taken.append(DOCS / f"{name}-{theme}.png")
        page.screenshot(path=str(taken[-1]))
    body = open_experiments(page)
    rows = body.locator("tbody tr[data-run-id]")
    rows.nth(1).wait_for(timeout=60_000)
    if not body.locator(".jp-StudioCollab-compare").is_visible():
        rows.nth(0).locator("input[type=checkbox]").check()
        rows.nth(1).locator("input[type=checkbox]").check()
        body.get_by_role("button", name="Compare", exact=True).click()
    body.locator(".jp-StudioCollab-compare").wait_for(timeout=30_000)
    show_chart = body.locator(".jp-StudioCollab-chart").get_by_role("button", name="Show chart")
    if show_chart.count():  # the chart across runs is drawn on request (kept shown once asked, across themes)
        show_chart.click()
    body.locator(
        ".jp-StudioCollab-chart .jp-StudioCollab-metricChart svg, "
        ".jp-StudioCollab-chart .jp-StudioCollab-metricChart canvas"
    ).first.wait_for(timeout=60_000)
    page.wait_for_timeout(1_500)
    taken.append(DOCS / f"experiments-{theme}.png")
    page.screenshot(path=str(taken[-1]))
    return taken


def main() -> int:
    from playwright.sync_api import sync_playwright

    DOCS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="studio-collab-screenshots-") as scratch:
        process, demo = start_demo(Path(scratch))
        try:
            share_a_notebook(demo)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
                    # ?reset: JupyterLab's default layout (sidebar width), whatever an earlier session saved
                    page.goto(f"{demo['lab_url']}?reset&token={demo['token']}")
                    page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
                    show_panel(page, 60_000)
                    news = page.locator(".Toastify__toast", has_text="official Jupyter news")
                    if news.count():
                        news.get_by_role("button", name="No", exact=True).click()
                    for theme in THEMES:
                        for path in take(page, theme):
                            print(path.relative_to(DOCS.parents[1]))
                        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Experiments").locator(
                            ".lm-TabBar-tabCloseIcon"
                        ).click()
                finally:
                    browser.close()
        finally:
            stop(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
