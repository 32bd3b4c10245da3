"""Per-space billed spend (C6) in the Cost section, in Debian chromium on the demo world (alice's private space)."""

from __future__ import annotations

import pytest

from tests.servers import start_lab
from tests.ui.conftest import ARTIFACTS, browser, open_panel, page  # noqa: F401 - the browser fixtures

pytestmark = [pytest.mark.ui, pytest.mark.world]


@pytest.fixture
def spend_lab(world_env, tmp_path):
    server = start_lab(tmp_path / "root", args=["--StudioCollabApp.cost_explorer_enabled=True"])
    yield server
    server.stop()


def _money(amount: float) -> str:
    return f"${amount:,.2f}"


def test_spend_card_shows_my_spaces_and_the_untagged_remainder(page, spend_lab, world_env):
    ce = world_env.scenario.data["cost_explorer"]
    # the truth: 30 days × 8 h × the space's app price, read from the inventory the panel itself shows
    open_panel(page, spend_lab)
    section = page.locator("[data-section='cost']")
    card = section.locator(".jp-StudioCollab-spend")
    card.wait_for(timeout=30_000)
    mine = card.locator(".jp-StudioCollab-spendMine")
    assert mine.count() == 2
    texts = sorted(mine.nth(i).inner_text() for i in range(2))
    for text, space in zip(texts, ["alice-space", "team-space"]):
        row = section.locator(f"tr[data-name='{space}/JupyterLab/default']")  # the app's row in the Cost table
        row.wait_for(timeout=30_000)
        hourly = float(row.locator("td").nth(1).inner_text().lstrip("$").split()[0])
        assert space in text
        assert _money(ce["days"] * ce["space_hours_per_day"] * hourly) in text
    assert "1 other space" in card.locator(".jp-StudioCollab-spendOthers").inner_text()
    assert "Not tagged with a space" in card.locator(".jp-StudioCollab-spendUntagged").inner_text()
    assert card.locator(".jp-StudioCollab-spendTagInactive").count() == 0
    card.screenshot(path=str(ARTIFACTS / "spend-card.png"))
    assert page.console_errors == []


def test_spend_card_says_the_tag_is_not_activated(page, spend_lab, world_env):
    world_env.client("ce").update_cost_allocation_tags_status(
        CostAllocationTagsStatus=[{"TagKey": "sagemaker:space-arn", "Status": "Inactive"}]
    )
    open_panel(page, spend_lab)
    note = page.locator("[data-section='cost'] .jp-StudioCollab-spendTagInactive")
    note.wait_for(timeout=30_000)
    assert "cost allocation tag" in note.inner_text()
    assert page.locator(".jp-StudioCollab-spendMine").first.inner_text().endswith("$0.00")
