"""Monthly budgets (row C10) on the world: month-to-date estimated from what runs, against the admin's budget."""

from __future__ import annotations

import calendar
import json
from datetime import datetime, timedelta, timezone

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
        app = world.client("sagemaker").describe_app(
            DomainId=world.domain_id, SpaceName=space, AppType="JupyterLab", AppName="default"
        )
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
        "user_profile",
        "alice",
        ALICE_BUDGET,
        "estimate",
    )
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


class TestActualFromCostExplorer:
    """With Cost Explorer on, month-to-date is what the world's Cost Explorer billed this month to the Studio tags."""

    @pytest.fixture
    def studio_collab_config(self):
        return {"cost_budget_user_profiles": {"alice": 100}, "cost_budget_domain": 1000, "cost_explorer_enabled": True}

    @staticmethod
    def billed_this_month(world, prices: dict[str, float], spaces: list[str], now: datetime) -> float:
        """The scenario's billing: each space's app ran ``space_hours_per_day`` hours on each of the last ``days``
        days before today; this month holds the ones since the 1st."""
        ce = world.scenario.data["cost_explorer"]
        days = min(now.day - 1, ce["days"])
        return sum(days * ce["space_hours_per_day"] * prices[space] for space in spaces)

    async def test_my_month_to_date_is_billed_by_my_spaces_tags(self, world_env, jp_fetch, openapi_validator):
        answer = await get_cost(jp_fetch, "mine")
        openapi_validator.validate("get", "/cost?scope=mine", 200, answer)
        budget = answer["budget"]
        now = datetime.now(timezone.utc)
        domain = await get_cost(jp_fetch, "domain")
        prices = {r["space"]: r["hourly_price"] for r in domain["resources"] if r["kind"] == "app"}
        expected = self.billed_this_month(world_env, prices, ["alice-space", "team-space"], now)
        assert (budget["scope"], budget["name"], budget["source"]) == ("user_profile", "alice", "actual")
        assert budget["month_to_date"] == pytest.approx(expected, abs=0.02)
        assert budget["billed_period"] == {
            "start": now.strftime("%Y-%m-01"),
            "end": (now + timedelta(days=1)).strftime("%Y-%m-%d"),
        }
        assert "Cost Explorer" in budget["note"]
        hours_left = (calendar.monthrange(now.year, now.month)[1] - now.day + 1) * 24 - now.hour - now.minute / 60
        assert budget["forecast"] == pytest.approx(expected + answer["burn_rate_per_hour"] * hours_left, abs=0.1)
        # What was asked: this month, SageMaker only, grouped by the space and user-profile tags; once.
        [call] = [c for c in world_env.control.journal() if c["operation"] == "ce:GetCostAndUsage"]
        params = call["params"]
        assert params["TimePeriod"] == {
            "Start": budget["billed_period"]["start"],
            "End": budget["billed_period"]["end"],
        }
        assert params["Filter"] == {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon SageMaker"]}}
        assert params["GroupBy"] == [
            {"Type": "TAG", "Key": "sagemaker:space-arn"},
            {"Type": "TAG", "Key": "sagemaker:user-profile-arn"},
        ]
        # The same figure straight from the world's Cost Explorer, filtered to alice's two spaces' tags.
        arns = [
            world_env.client("sagemaker").describe_space(DomainId=world_env.domain_id, SpaceName=name)["SpaceArn"]
            for name in ("alice-space", "team-space")
        ]
        billed = world_env.client("ce").get_cost_and_usage(
            TimePeriod={"Start": budget["billed_period"]["start"], "End": budget["billed_period"]["end"]},
            Granularity="MONTHLY",
            Metrics=["UnblendedCost"],
            Filter={"Tags": {"Key": "sagemaker:space-arn", "Values": arns}},
        )
        assert budget["month_to_date"] == pytest.approx(
            sum(float(p["Total"]["UnblendedCost"]["Amount"]) for p in billed["ResultsByTime"]), abs=0.01
        )

    async def test_domain_month_to_date_is_every_space_of_the_domain(self, world_env, jp_fetch):
        answer = await get_cost(jp_fetch, "domain")
        budget = answer["budget"]
        prices = {r["space"]: r["hourly_price"] for r in answer["resources"] if r["kind"] == "app"}
        expected = self.billed_this_month(world_env, prices, list(prices), datetime.now(timezone.utc))
        assert (budget["scope"], budget["source"]) == ("domain", "actual")
        # Notebook instances and endpoints carry no Studio tag: account resources, not the domain's budget.
        assert budget["month_to_date"] == pytest.approx(expected, abs=0.03)

    async def test_tag_not_activated_falls_back_to_the_estimate_and_says_why(self, world_env, jp_fetch):
        world_env.client("ce").update_cost_allocation_tags_status(
            CostAllocationTagsStatus=[
                {"TagKey": "sagemaker:space-arn", "Status": "Inactive"},
                {"TagKey": "sagemaker:user-profile-arn", "Status": "Inactive"},
            ]
        )
        budget = (await get_cost(jp_fetch, "mine"))["budget"]
        now = datetime.now(timezone.utc)
        assert (budget["source"], budget["billed_period"]) == ("estimate", None)
        assert budget["month_to_date"] == pytest.approx(
            month_to_date_of(world_env, {"alice-space": 0.05, "team-space": 0.23}, now), abs=0.02
        )
        assert "cost allocation tag" in budget["note"]
