"""What `make lab` shows in the Cost section: the demo scenario with its lab extras lists every kind people forget,
each with its owner, age and price, and the budget from Cost Explorer (as `studio-collab demo` configures it).

The independent truths: the scenario file (who made what, the sizes), the SageMaker pricing figure for ML storage,
and the world's Cost Explorer.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.world

NEW_KINDS = {"space_storage", "warm_pool", "scheduled_notebook_job", "inference_component", "mlflow_app"}


@pytest.fixture
def studio_collab_config():
    # As world/studio_world/demo.py configures the lab of `make lab`.
    return {"cost_budget_user_profiles": {"*": 150}, "cost_budget_domain": 250, "cost_explorer_enabled": True}


@pytest.fixture
def demo_lab_world(world_env):
    world_env.local.reseed(world_env.scenario, lab_extras=True)
    world_env.local.point_tracking_servers(world_env.scenario)
    return world_env


async def get_cost(jp_fetch, scope: str) -> dict:
    return json.loads((await jp_fetch("studio-collab", "cost", params={"scope": scope})).body)


async def test_the_demo_lists_every_new_kind_with_owner_age_and_price(demo_lab_world, jp_fetch, openapi_validator):
    answer = await get_cost(jp_fetch, "domain")
    openapi_validator.validate("get", "/cost?scope=domain", 200, answer)
    assert answer["errors"] == [] and not answer["stale"]
    rows = {(r["kind"], r["name"]): r for r in answer["resources"]}
    assert NEW_KINDS <= {kind for kind, _ in rows}
    scenario = demo_lab_world.scenario.data
    made = {("space_storage", s["name"]): s for s in scenario["lab_extras"]["spaces"]}
    made |= {("warm_pool", j["name"]): j for j in scenario["lab_extras"]["training_jobs"]}
    made |= {("scheduled_notebook_job", j["name"]): j for j in scenario["notebook_jobs"]}
    made |= {("inference_component", c["name"]): c for c in scenario["inference_components"]}
    made |= {("mlflow_app", a["name"]): a for a in scenario["mlflow_apps"]}
    for key, item in made.items():
        row = rows[key]
        assert row["owner"] == item["owner"], key
        assert row["started"], key  # its age
        priced = row["hourly_price"] is not None or row.get("run_hourly_price") is not None
        assert priced or row["price_basis"] in ("included", "no_hourly_charge"), key
    # Stopped spaces' volumes: the size from the space's settings, else the domain's default, at $0.14 per GB-month.
    carol, bob = rows[("space_storage", "carol-space")], rows[("space_storage", "bob-scratch")]
    assert (carol["storage_gb"], carol["size_source"], bob["storage_gb"], bob["size_source"]) == (
        50,
        "space",
        scenario["domain"]["ebs_default_gb"],
        "domain",
    )
    assert carol["hourly_price"] == pytest.approx(50 * 0.14 / 730, rel=1e-3)
    warm = rows[("warm_pool", "churn-xgb-warm-tuning")]
    assert warm["count"] == 2 and warm["unit_price"] > 0
    assert warm["hourly_price"] == pytest.approx(2 * warm["unit_price"])
    assert rows[("scheduled_notebook_job", "nightly-churn-report")]["run_hourly_price"] > 0
    # The three demo spaces that run apps bill no storage of their own here.
    assert {name for kind, name in rows if kind == "space_storage"} == {"carol-space", "bob-scratch"}
    # The budget, from Cost Explorer, as the panel shows it.
    assert (answer["budget"]["scope"], answer["budget"]["amount"], answer["budget"]["source"]) == (
        "domain",
        250,
        "actual",
    )
    mine = await get_cost(jp_fetch, "mine")
    assert (mine["budget"]["name"], mine["budget"]["amount"], mine["budget"]["source"]) == ("alice", 150, "actual")
