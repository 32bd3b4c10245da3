"""The Cost section's Keep alive button and its stale-data notice in Debian chromium, on a real `jupyter lab` in the
local world: Keep alive resets what the server counts as idle; when AWS fails for every kind the section keeps the
last inventory and says it is older data, and the notice goes once AWS answers again."""

from __future__ import annotations

import pytest
import requests

from tests.helpers import wait_until
from tests.servers import start_lab
from tests.share.conftest import make_notebook
from tests.ui.conftest import browser, open_panel, page  # noqa: F401 - browser, page: fixtures

pytestmark = [pytest.mark.ui, pytest.mark.world]


@pytest.fixture
def cost_lab(world_env, tmp_path):
    server = start_lab(
        tmp_path / "root",
        args=["--StudioCollabApp.idle_shutdown_minutes=120", "--StudioCollabApp.cost_cache_ttl_seconds=1"],
    )
    yield server
    server.stop()


def api(server, path: str) -> dict:
    answer = requests.get(server.api(path), headers=server.headers, timeout=60)
    assert answer.status_code == 200, (path, answer.text[:500])
    return answer.json()


def test_keep_alive_button_and_the_stale_data_notice(page, cost_lab, world_env):
    open_panel(page, cost_lab)
    section = page.locator("[data-section='cost']")
    section.locator("tbody tr").first.wait_for(timeout=60_000)

    # Keep alive: the server's idle clock starts again, and nothing is stopped
    before = api(cost_lab, "idle")
    keep = section.get_by_role("button", name="Keep alive")
    keep.wait_for(timeout=30_000)
    keep.click()
    wait_until(
        lambda: api(cost_lab, "idle")["last_activity"] > before["last_activity"],
        timeout=30,
        what="GET idle to count the Keep alive",
    )
    assert "pressed Keep alive" in cost_lab.log()
    assert world_env.calls().get("sagemaker:DeleteApp", 0) == 0

    # Stale: AWS fails for every call; the last inventory stays, marked older, with the reason
    rows = section.locator("tbody tr").count()
    world_env.fault("*", "error500")
    wait_until(lambda: api(cost_lab, "cost?scope=mine")["stale"], timeout=60, what="GET cost to serve stale data")
    page.locator(".jp-StudioCollab-panel .jp-SidePanel-toolbar [title='Refresh every section']").click()
    notice = section.locator(".jp-StudioCollab-stale")
    notice.wait_for(timeout=30_000)
    assert notice.inner_text().startswith("Showing older data:") and len(notice.inner_text()) > 25
    assert section.locator("tbody tr").count() == rows  # the rows stay

    world_env.clear_faults()
    wait_until(lambda: not api(cost_lab, "cost?scope=mine")["stale"], timeout=90, what="GET cost to recover")
    page.locator(".jp-StudioCollab-panel .jp-SidePanel-toolbar [title='Refresh every section']").click()
    notice.wait_for(state="detached", timeout=30_000)
    assert page.console_errors == []


@pytest.fixture
def share_lab(world_env, tmp_path):
    root = tmp_path / "root"
    make_notebook(root / "report.ipynb")
    server = start_lab(root, args=[f"--StudioCollabApp.share_folder={tmp_path / 'shares'}"])
    yield server
    server.stop()


def test_copy_link_of_my_share(page, share_lab):
    shared = requests.post(
        share_lab.api("shares"),
        headers=share_lab.headers,
        timeout=60,
        json={"path": "report.ipynb", "target_space": "team-space"},
    )
    assert shared.status_code == 201, shared.text
    listed = api(share_lab, "shares")["shares"]
    [mine] = [s for s in listed if s["title"] == "report.ipynb"]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=f"http://127.0.0.1:{share_lab.port}")
    open_panel(page, share_lab)
    row = page.locator(f".jp-StudioCollab-share[data-share-id='{mine['id']}']")
    row.wait_for(timeout=30_000)
    row.get_by_role("button", name="Copy link").click()
    wait_until(
        lambda: page.evaluate("navigator.clipboard.readText()") == mine["url"],
        timeout=15,
        what="the share's link on the clipboard",
    )
    assert page.console_errors == []
