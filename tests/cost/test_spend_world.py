"""Per-space billed spend (C6) through GET cost/spend on the world's Cost Explorer.

The independent truths: the inventory's own hourly price of each space's app (GET cost) times the hours the
scenario says each space ran, the emulator's call journal for what was asked of Cost Explorer, and the
scenario's owners of the spaces.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.world

SPACE_TAG = "sagemaker:space-arn"


@pytest.fixture
def studio_collab_config():
    return {"cost_explorer_enabled": True}


async def _get(jp_fetch, *path, **kwargs) -> dict:
    return json.loads((await jp_fetch("studio-collab", *path, **kwargs)).body)


async def _inventory_prices(jp_fetch) -> dict[str, float]:
    """Space → the hourly price the inventory shows for its running app."""
    cost = await _get(jp_fetch, "cost", params={"scope": "domain"})
    return {r["space"]: r["hourly_price"] for r in cost["resources"] if r["kind"] == "app"}


def _expected(world, prices: dict, space: str) -> float:
    ce = world.scenario.data["cost_explorer"]
    return round(ce["days"] * ce["space_hours_per_day"] * prices[space], 2)


async def test_the_viewers_spaces_with_their_30_day_spend(world_env, jp_fetch, openapi_validator):
    answer = await _get(jp_fetch, "cost", "spend")
    openapi_validator.validate("get", "/cost/spend", 200, answer)
    prices = await _inventory_prices(jp_fetch)
    owners = {s["name"]: s["owner"] for s in world_env.scenario.section("spaces")}
    alice = sorted(name for name, owner in owners.items() if owner == "alice")
    assert sorted(s["space_name"] for s in answer["mine"]) == alice == ["alice-space", "team-space"]
    for space in answer["mine"]:
        assert space["amount"] == pytest.approx(_expected(world_env, prices, space["space_name"]), abs=0.02)
    assert answer["mine_total"] == pytest.approx(sum(s["amount"] for s in answer["mine"]), abs=0.02)
    # every space of the domain that billed, with its owner; bob's is not the viewer's
    rows = {s["space_name"]: s for s in answer["by_space"]}
    assert set(rows) == {a["space"] for a in world_env.scenario.section("apps")}
    assert rows["bob-space"]["owner"] == "bob" and rows["bob-space"]["mine"] is False
    assert rows["bob-space"]["amount"] == pytest.approx(_expected(world_env, prices, "bob-space"), abs=0.02)
    assert rows["bob-space"]["space_arn"].endswith(f":space/{world_env.domain_id}/bob-space")
    # the untagged remainder, named as such, and the total: SageMaker only, the parts add up
    assert answer["untagged"] > 0 and "Not tagged with a space" in answer["untagged_label"]
    assert answer["total"] == pytest.approx(sum(rows[s]["amount"] for s in rows) + answer["untagged"], abs=0.05)
    assert answer["tag_active"] is True and "cost allocation" not in answer["note"]
    # what was asked of Cost Explorer: SageMaker only, grouped by the space tag, 30 days
    [call] = [c for c in world_env.control.journal() if c["operation"] == "ce:GetCostAndUsage"]
    params = call["params"]
    assert params["Filter"] == {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon SageMaker"]}}
    assert params["GroupBy"] == [{"Type": "TAG", "Key": SPACE_TAG}]
    assert (answer["period"]["start"], answer["period"]["end"]) == (
        params["TimePeriod"]["Start"],
        params["TimePeriod"]["End"],
    )


async def test_total_leaves_out_other_services(world_env, jp_fetch):
    answer = await _get(jp_fetch, "cost", "spend")
    everything = world_env.client("ce").get_cost_and_usage(
        TimePeriod={"Start": answer["period"]["start"], "End": answer["period"]["end"]},
        Granularity="MONTHLY",
        Metrics=["UnblendedCost"],
    )
    account_total = sum(float(p["Total"]["UnblendedCost"]["Amount"]) for p in everything["ResultsByTime"])
    other = 30 * sum(world_env.scenario.data["cost_explorer"]["other_services_daily_usd"].values())
    assert answer["total"] == pytest.approx(account_total - other, abs=0.05)


@pytest.mark.world_space("bob-space")
async def test_another_viewer_sees_their_own_space(world_env, jp_fetch):
    answer = await _get(jp_fetch, "cost", "spend")
    assert [s["space_name"] for s in answer["mine"]] == ["bob-space"]
    assert [s["space_name"] for s in answer["by_space"] if s["mine"]] == ["bob-space"]


async def test_tag_not_activated_is_said_and_everything_is_untagged(world_env, jp_fetch, openapi_validator):
    world_env.client("ce").update_cost_allocation_tags_status(
        CostAllocationTagsStatus=[{"TagKey": SPACE_TAG, "Status": "Inactive"}]
    )
    answer = await _get(jp_fetch, "cost", "spend")
    openapi_validator.validate("get", "/cost/spend", 200, answer)
    assert answer["tag_active"] is False and answer["by_space"] == []
    assert answer["total"] > 0 and answer["untagged"] == pytest.approx(answer["total"], abs=0.01)
    assert "cost allocation tag" in answer["note"] and "24 hours" in answer["note"]
    # the viewer's spaces are still listed, at zero: their spend is in the untagged bucket
    assert sorted(s["space_name"] for s in answer["mine"]) == ["alice-space", "team-space"]
    assert all(s["amount"] == 0 for s in answer["mine"])
