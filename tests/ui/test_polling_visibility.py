"""The panel polls only while its sidebar shows it (the setting's "while it is visible", issue #18), and each
route is polled once however many views show it: counted from the browser's own requests in Debian chromium.
The idle card counts kernels and terminals through the translator's plural forms (#20)."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from tests.servers import start_lab
from tests.ui.conftest import browser, open_panel, page, show_panel  # noqa: F401

pytestmark = pytest.mark.ui

POLLED = re.compile(r"/studio-collab/(status|repos|shares|cost|idle)(\?|$)")


@pytest.fixture
def studio_lab(world_env, tmp_path):
    server = start_lab(tmp_path / "root")
    yield server
    server.stop()


def polled_routes(requests_seen: list[tuple[float, str]], since: float, until: float) -> list[str]:
    return [url for at, url in requests_seen if since <= at <= until and POLLED.search(url)]


def test_polls_pause_while_the_sidebar_is_hidden_and_resume_when_shown(page, studio_lab):
    # every 2 s (the setting's minimum): repos and idle each 2 s, cost and shares each 6 s, status each 12 s
    answer = requests.put(
        f"{studio_lab.url}lab/api/settings/studio-collab:plugin",
        headers=studio_lab.headers,
        data=json.dumps({"raw": json.dumps({"pollIntervalSeconds": 2})}),
        timeout=10,
    )
    assert answer.status_code == 204, answer.text
    seen: list[tuple[float, str]] = []
    page.on("request", lambda r: seen.append((time.monotonic(), r.url)) if r.method == "GET" else None)
    open_panel(page, studio_lab)
    page.locator("[data-section='git'] .jp-StudioCollab-repo").first.wait_for(timeout=30_000)
    page.locator("[data-section='cost'] .jp-StudioCollab-idleCard").wait_for(timeout=30_000)

    # shown: repos and idle are asked every 2 s, and GET idle once per round although three views show it
    # (the idle card, the status-bar countdown and the own-shutdown warning)
    start = time.monotonic()
    page.wait_for_timeout(8_000)
    shown = polled_routes(seen, start, time.monotonic())
    repos_shown = sum(1 for url in shown if "/repos" in url)
    idle_shown = sum(1 for url in shown if url.endswith("/idle") or "/idle?" in url)
    assert repos_shown >= 3, shown
    assert 3 <= idle_shown <= 5, shown

    # the idle card counts through the translator's plural forms (#20): one kernel, no terminals
    kernel = requests.post(f"{studio_lab.url}api/kernels", headers=studio_lab.headers, json={}, timeout=30).json()
    assert len(requests.get(f"{studio_lab.url}api/kernels", headers=studio_lab.headers, timeout=10).json()) == 1
    card = page.locator("[data-section='cost'] .jp-StudioCollab-idleCard")
    card.get_by_text("1 kernel, 0 terminals.").wait_for(timeout=30_000)
    requests.delete(f"{studio_lab.url}api/kernels/{kernel['id']}", headers=studio_lab.headers, timeout=30)
    card.get_by_text("0 kernels, 0 terminals.").wait_for(timeout=30_000)

    # hidden (the file browser takes the left sidebar): after the request in flight, nothing is polled
    page.locator(".jp-SideBar.jp-mod-left [data-id='filebrowser']").click()
    page.locator(".jp-StudioCollab-panel").wait_for(state="hidden", timeout=10_000)
    hidden_at = time.monotonic()
    page.wait_for_timeout(14_000)
    hidden = polled_routes(seen, hidden_at + 1.0, time.monotonic())
    assert hidden == [], hidden

    # shown again: polling resumes at once and goes on
    show_panel(page)
    shown_at = time.monotonic()
    page.wait_for_timeout(6_000)
    resumed = polled_routes(seen, shown_at - 1.0, time.monotonic())
    assert sum(1 for url in resumed if "/repos" in url) >= 2, resumed
    assert any("/idle" in url for url in resumed), resumed
    assert page.console_errors == []
