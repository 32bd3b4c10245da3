"""Monthly budgets (row C10) on the world: month-to-date estimated from what runs, against the admin's budget."""

from __future__ import annotations

import calendar
import json
from datetime import datetime, timezone

import pytest

pytestmark = pytest.mark.world

ALICE_BUDGET = 1.5  # alice's two apps have cost ~1.28 this month in the demo: 85 %


@pytest.fixture
def studio_collab_config():
    return {"cost_budget_user_profiles": {"alice": ALICE_BUDGET, "*": 500}, "cost_budget_domain": 1000}


async def get_cost(jp_fetch, scope: str) -> dict:
    return json.loads((await jp_fetch("studio-collab", "cost", params={"scope": scope})).body)


def month_to_date_of(world, spaces_and_prices: dict[str, float], now: datetime) -> float:
    """The estimate from the emulator's own records: hourly price × hours each app ran this month."""
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    total = 0.0
    for space, price in spaces_and_prices.items():
        app = world.client("sagemaker").describe_app(DomainId=world.domain_id, SpaceName=space,
                                                     AppType="JupyterLab", AppName="default")
        since = max(app["CreationTime"], month_start)
        total += price * (now - since).total_seconds() / 3600
    return total


async def test_my_budget_is_my_profiles(world_env, jp_fetch, openapi_validator):
    answer = await get_cost(jp_fetch, "mine")
    openapi_validator.validate("get", "/cost?scope=mine", 200, answer)
    budget = answer["budget"]
    now = datetime.now(timezone.utc)
    expected = month_to_date_of(world_env, {"alice-space": 0.05, "team-space": 0.23}, now)
    assert (budget["scope"], budget["name"], budget["amount"], budget["source"]) == (
        "user_profile", "alice", ALICE_BUDGET, "estimate")
    assert budget["month"] == now.strftime("%Y-%m")
    assert budget["month_to_date"] == pytest.approx(expected, abs=0.02)
    hours_left = (calendar.monthrange(now.year, now.month)[1] - now.day + 1) * 24 - now.hour - now.minute / 60
    assert budget["forecast"] == pytest.approx(expected + answer["burn_rate_per_hour"] * hours_left, abs=0.1)
    assert budget["crossed"] == [80] and budget["forecast_crosses"] == [80, 100]
    assert budget["percent_used"] == pytest.approx(100 * expected / ALICE_BUDGET, abs=1.5)


async def test_domain_budget_on_the_whole_domain(world_env, jp_fetch, openapi_validator):
    answer = await get_cost(jp_fetch, "domain")
    openapi_validator.validate("get", "/cost?scope=domain", 200, answer)
    budget = answer["budget"]
    assert (budget["scope"], budget["amount"]) == ("domain", 1000)
    # Every priced row that ran this month counts; legacy-analysis (30 days) has run since the 1st at least.
    assert budget["month_to_date"] > answer["burn_rate_per_hour"]
    assert budget["forecast"] >= budget["month_to_date"]


class TestNoBudget:
    @pytest.fixture
    def studio_collab_config(self):
        return {}

    async def test_no_budget_is_null(self, world_env, jp_fetch):
        assert (await get_cost(jp_fetch, "mine"))["budget"] is None
        assert (await get_cost(jp_fetch, "domain"))["budget"] is None
