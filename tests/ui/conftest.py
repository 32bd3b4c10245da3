"""Browser fixtures: Debian chromium driven by Python playwright (never a downloaded browser)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.helpers import wait_until
from tests.servers import start_lab

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Browser console lines that come from the machine, not from the product (no network here).
IGNORED_CONSOLE = ("net::ERR_", "Failed to load resource", "favicon")


@pytest.fixture
def browser():
    # Function-scoped on purpose: playwright's sync API holds the thread's running event loop while it is
    # open, which would break pytest-jupyter's per-test loop in every later test of the session.
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: `make test` installs it with apt-get")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.console_messages = []  # every (type, text, script url): tests/deploy judges warnings by who logged them

    def on_console(message):
        page.console_messages.append((message.type, message.text, (message.location or {}).get("url", "")))
        if message.type == "error" and not any(s in message.text for s in IGNORED_CONSOLE):
            page.console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: page.console_errors.append(f"pageerror: {error}"))
    yield page
    context.close()


@pytest.fixture
def lab(tmp_path):
    """A real `jupyter lab` with studio-collab, outside Studio (tests override env/args via start_lab)."""
    server = start_lab(tmp_path / "root", env={"STUDIO_COLLAB_RESOURCE_METADATA": str(tmp_path / "absent.json")})
    yield server
    server.stop()


def open_panel(page, server) -> None:
    """Load JupyterLab and open the Studio Collab panel by its command once the lab has restored its layout."""
    page.goto(f"{server.url}lab?token={server.token}")
    page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
    show_panel(page)


def wait_restored(page, timeout_ms: int = 60_000) -> bool:
    """Wait for `app.restored`: the layout restore (which on a fresh layout shows the file browser) is over.
    `start_lab` exposes the application as `window.jupyterapp`, as Studio does; False when a lab does not."""
    try:
        page.wait_for_function("() => window.jupyterapp !== undefined", timeout=timeout_ms)
    except PlaywrightTimeoutError:
        return False
    page.evaluate("async () => { await window.jupyterapp.restored; }")
    return True


def execute_command(page, command: str, args: dict | None = None, timeout_ms: int = 60_000) -> bool:
    """Run a JupyterLab command by its id after `app.restored` (never by toggling an icon); False when the
    application is not exposed in this page."""
    if not wait_restored(page, timeout_ms):
        return False
    page.evaluate(
        "async ([id, args]) => { await window.jupyterapp.commands.execute(id, args); }", [command, args or {}]
    )
    return True


def use_theme(page, theme: str) -> None:
    """Switch JupyterLab's theme by its command (the palette re-renders its items while the lab is busy, so a
    click on one can chase a detached element); the palette only where the app is not exposed."""
    if not execute_command(page, "apputils:change-theme", {"theme": theme}):
        run_command(page, f"Use Theme: {theme}")


def run_command(page, label: str, timeout_ms: int = 30_000) -> None:
    """Run a command by its label from JupyterLab's command palette (the keyboard way, never a toggling icon),
    after `app.restored`."""
    wait_restored(page, 10_000)
    palette = page.locator("#modal-command-palette")
    deadline = time.monotonic() + timeout_ms / 1000
    while not palette.is_visible():  # the shortcut toggles: press again only while the palette is closed
        if time.monotonic() > deadline:
            raise TimeoutError("the command palette did not open")
        page.locator("body").press("Control+Shift+c")
        try:
            palette.wait_for(state="visible", timeout=2_000)
        except PlaywrightTimeoutError:
            continue
    palette.locator("input").fill(label)
    item = palette.locator(".lm-CommandPalette-item", has_text=label).first
    item.wait_for(timeout=timeout_ms)
    # The palette re-renders its items while commands report their state, so a click can land on an item that
    # was just replaced: click again (short tries) until the palette closes, which is what running a command does.
    while True:
        try:
            item.click(timeout=3_000)
            palette.wait_for(state="hidden", timeout=3_000)
            return
        except PlaywrightTimeoutError:
            if not palette.is_visible():
                return
            if time.monotonic() > deadline:
                raise


def show_panel(page, timeout_ms: int = 30_000) -> None:
    """Open the panel with its command once the layout is restored (activating is idempotent, unlike clicking
    the sidebar icon, which toggles)."""
    header = page.locator(".jp-StudioCollab-panel .jp-StudioCollab-header")
    deadline = time.monotonic() + timeout_ms / 1000
    while not header.is_visible():
        if time.monotonic() > deadline:
            raise TimeoutError("the Studio Collab panel did not show")
        if not execute_command(page, "studio-collab:open-panel", timeout_ms=10_000):
            run_command(page, "Open Studio Collab panel", timeout_ms)
        try:
            header.wait_for(state="visible", timeout=5_000)
        except PlaywrightTimeoutError:
            continue  # another plugin's own `app.restored` follow-up showed its sidebar panel: ask again


def open_experiments(page, timeout_ms: int = 30_000):
    """Open the Experiments tab by its command; returns its body (the experiments views)."""
    if not execute_command(page, "studio-collab:open-experiments", timeout_ms=10_000):
        run_command(page, "Open Experiments", timeout_ms)
    body = page.locator("#studio-collab-experiments [data-section='experiments']")
    body.wait_for(timeout=timeout_ms)
    return body


def wait_workspace_saved(server, condition, workspace: str = "default", timeout: float = 30) -> dict:
    """Wait until the lab's saved workspace (what a reload restores) satisfies ``condition(data)``: JupyterLab
    saves it a moment after the layout or the state database changes."""

    def saved():
        response = requests.get(f"{server.url}lab/api/workspaces/{workspace}", headers=server.headers, timeout=10)
        data = response.json().get("data", {}) if response.status_code == 200 else {}
        return data if condition(data) else None

    return wait_until(saved, timeout, interval=0.2, what=f"the {workspace} workspace to be saved")


def settled(page) -> None:
    """Fonts loaded and two frames painted: what a screenshot shows is what the last change drew."""
    page.evaluate(
        "async () => { await document.fonts.ready; await new Promise(r => requestAnimationFrame("
        "() => requestAnimationFrame(r))); }"
    )


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path
