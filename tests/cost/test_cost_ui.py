"""The Cost section and the Domain card in Debian chromium, on the demo world (alice's private space)."""

from __future__ import annotations

import re

import pytest

from tests.servers import start_lab
from tests.ui.conftest import ARTIFACTS, browser, open_panel, page, screenshot  # noqa: F401 - the browser fixtures

pytestmark = [pytest.mark.ui, pytest.mark.world]


@pytest.fixture
def studio_lab(world_env, tmp_path):
    # world_env has put the emulator, credentials and alice-space's resource metadata into the environment.
    server = start_lab(tmp_path / "root", args=["--StudioCollabApp.cost_cache_ttl_seconds=1"])
    yield server
    server.stop()


def test_cost_section_and_domain_card(page, studio_lab, world_env):
    open_panel(page, studio_lab)

    # Domain card in the header: the Quick setup badge, and the findings on demand.
    card = page.locator(".jp-StudioCollab-domainCard")
    card.wait_for(timeout=30_000)
    assert card.get_attribute("data-verdict") == "quick"
    assert card.locator("summary").inner_text().startswith("Quick setup")
    card.locator("summary").click()
    card.get_by_text("default VPC", exact=False).first.wait_for()
    assert card.locator("li[data-severity='warning']").count() >= 3

    # Cost section: mine first (alice's two apps), then the whole domain.
    section = page.locator("[data-section='cost']")
    burn = section.locator(".jp-StudioCollab-burnRate")
    burn.wait_for(timeout=30_000)
    assert burn.inner_text() == "$0.28/hour"
    section.get_by_label("Whole domain").check()
    page.wait_for_function(
        "document.querySelector('.jp-StudioCollab-burnRate')?.textContent === '$2.03/hour'", timeout=30_000
    )
    rows = section.locator("tbody tr[data-name]")  # a resource row (its details row below it has none)
    assert rows.count() == 10  # with the forgotten kinds: an inference component, an MLflow App, a notebook job
    assert section.get_by_text("1 resource has no known price", exact=False).count() == 1
    names = [rows.nth(i).get_attribute("data-name") for i in range(rows.count())]
    assert set(names[:3]) == {
        "alice-space/JupyterLab/default",
        "team-space/JupyterLab/default",
        "nightly-churn-report",
    }  # mine first
    assert section.locator("tr[data-name='bob-sandbox']").get_by_text("no hourly charge").count() == 1

    # The burn-rate chart: an SVG bar per resource kind (drawn by the panel, not by Vega).
    chart = section.locator(".jp-StudioCollab-costChart")
    chart.locator("canvas, svg").first.wait_for(timeout=30_000)

    # Sorting by a column keeps mine first and orders the rest.
    section.locator("th button", has_text="$/hour").click()
    header = section.locator("th[aria-sort='ascending']")
    assert header.count() == 1
    others = [rows.nth(i).get_attribute("data-name") for i in range(3, rows.count())]
    # no hourly price: last, whichever the direction
    assert set(others[-3:]) == {"team-mlflow", "churn-model-canary", "bob-sandbox"}
    prices = [rows.nth(i).locator("td").nth(1).inner_text() for i in range(3, rows.count() - 3)]
    assert prices == sorted(prices, key=lambda text: float(text.lstrip("$").split()[0]))
    section.locator(".jp-StudioCollab-costSort select").select_option("uptime")
    others = [rows.nth(i).get_attribute("data-name") for i in range(3, rows.count())]
    assert others[0] == "legacy-analysis"  # running for 30 days, the longest
    # Stop is offered on my resources only (and ownerless account resources), never on bob's app.
    bob = section.locator("tr[data-name='bob-space/JupyterLab/default']")
    assert bob.get_by_role("button", name=re.compile("Stop")).count() == 0

    # The idle card counts down to the domain's idle shutdown.
    section.get_by_text("Stops in", exact=False).wait_for(timeout=30_000)
    assert re.search(r"\d+:\d\d", section.locator(".jp-StudioCollab-countdown").inner_text())
    screenshot(page, "cost-page.png")
    section.screenshot(path=str(ARTIFACTS / "cost-section.png"))
    card.screenshot(path=str(ARTIFACTS / "domain-card.png"))

    # Stop team-space's app behind a confirmation dialog; the emulator receives DeleteApp.
    team = section.locator("tr[data-name='team-space/JupyterLab/default']")
    team.get_by_role("button", name=re.compile("Stop")).click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    assert "team-space" in dialog.inner_text()
    dialog.locator("button.jp-mod-warn").click()
    page.get_by_text("Stopping Studio app team-space/JupyterLab/default", exact=False).wait_for(timeout=30_000)
    team.wait_for(state="detached", timeout=30_000)
    assert world_env.calls().get("sagemaker:DeleteApp") == 1
    assert page.console_errors == []


@pytest.fixture
def lab_with_budget(world_env, tmp_path):
    # alice's two apps have cost ~1.28 this month: 85 % of 1.5, so the 80 % notification is due.
    server = start_lab(
        tmp_path / "root",
        args=["--StudioCollabApp.cost_cache_ttl_seconds=1", "--StudioCollabApp.cost_budget_user_profiles=alice=1.5"],
    )
    yield server
    server.stop()


def test_budget_notifies_once_per_threshold(page, lab_with_budget, world_env):
    open_panel(page, lab_with_budget)
    section = page.locator("[data-section='cost']")
    line = section.locator(".jp-StudioCollab-budget")
    line.wait_for(timeout=30_000)
    assert line.get_attribute("data-crossed") == "80" and "of $1.50 this month" in line.inner_text()
    # Cost Explorer is off here: the figure is labelled as the estimate it is.
    assert line.get_attribute("data-source") == "estimate" and "an estimate" in line.inner_text()
    toast = page.locator(".Toastify__toast", has_text="80 % of your monthly budget ($1.50) used")
    toast.wait_for(timeout=30_000)
    assert page.locator(".Toastify__toast", has_text="100 % of your").count() == 0
    notified = page.evaluate("window.localStorage.getItem('studio-collab:budget-notified')")
    assert "user_profile:alice:" in notified and notified.endswith(':80"]')
    # Polling again (and reloading the page) does not notify again this month. The panel keeps only this month's
    # keys each time it checks the budget: a last-year key planted now is gone once it has checked after the reload.
    key = "studio-collab:budget-notified"
    page.evaluate(
        "(key) => localStorage.setItem(key, JSON.stringify([...JSON.parse(localStorage.getItem(key)), "
        "'user_profile:alice:1999-01:80']))",
        key,
    )
    open_panel(page, lab_with_budget)
    section.locator(".jp-StudioCollab-budget").wait_for(timeout=30_000)
    page.wait_for_function("(key) => !localStorage.getItem(key).includes(':1999-01:')", arg=key, timeout=30_000)
    assert page.evaluate("(key) => localStorage.getItem(key)", key) == notified, "nothing notified again"
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert page.locator(".Toastify__toast", has_text="of your monthly budget").count() == 0
    assert (
        "shared" in section.locator(".jp-StudioCollab-inventorySource").inner_text()
        or "own inventory" in section.locator(".jp-StudioCollab-inventorySource").inner_text()
    )
    assert page.console_errors == []


@pytest.fixture
def lab_near_own_shutdown(world_env, tmp_path):
    # The own idle shutdown in 30 minutes, warned from the first idle second: the warning shows at once.
    server = start_lab(
        tmp_path / "root",
        args=["--StudioCollabApp.idle_shutdown_minutes=30", "--StudioCollabApp.idle_warning_minutes=29.99"],
    )
    yield server
    server.stop()


def test_own_idle_shutdown_warns_with_keep_alive(page, lab_near_own_shutdown, world_env):
    import requests

    server = lab_near_own_shutdown
    page.goto(f"{server.url}lab?token={server.token}")
    toast = page.locator(".Toastify__toast", has_text="will stop it soon")
    toast.wait_for(timeout=60_000)
    before = requests.get(server.api("idle"), headers=server.headers, timeout=30).json()
    toast.get_by_role("button", name="Keep alive").click()
    page.locator(".Toastify__toast", has_text="Kept alive").wait_for(timeout=30_000)
    after = requests.get(server.api("idle"), headers=server.headers, timeout=30).json()
    assert after["last_activity"] >= before["last_activity"] and after["idle_minutes"] < 0.1
    assert "pressed Keep alive" in server.log()
    assert world_env.calls().get("sagemaker:DeleteApp", 0) == 0
    assert page.console_errors == []
