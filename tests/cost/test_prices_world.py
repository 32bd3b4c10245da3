"""The Price List refresh through the emulator's pricing:GetProducts, Cost Explorer spend, the large scenario."""

from __future__ import annotations

import json
import time

import pytest

from tests.helpers import until

pytestmark = pytest.mark.world


class TestPriceListRefresh:
    @pytest.fixture
    def studio_collab_config(self, tmp_path):
        self.cache_path = tmp_path / "prices" / "prices.json"
        # aws_read_timeout: the emulator builds Price List pages from the whole table; a busy CI machine needs >2 s.
        return {
            "price_refresh": True,
            "price_cache_path": str(self.cache_path),
            "aws_read_timeout": 30.0,
            "price_overrides": {"us-east-1": {"mlflow_tracking_server": {"Small": 0.642}}},
        }

    async def test_refresh_feeds_the_prices_and_is_cached_on_disk(self, world_env, jp_fetch):
        answer = json.loads((await jp_fetch("studio-collab", "cost")).body)  # server up: refresh has begun
        # Generous deadlines: the refresh pages through GetProducts in the background, and CI machines are busy.
        await until(self.cache_path.exists, timeout=90, what="the Price List refresh to write its cache")
        assert world_env.calls().get("pricing:GetProducts", 0) >= 1
        cached = json.loads(self.cache_path.read_text())
        assert cached["region"] == "us-east-1"
        assert cached["prices"]["studio_jupyterlab"]["ml.t3.medium"] == 0.05
        assert cached["prices"]["studio_classic"]  # Studio-Notebook products, parsed from their JSON strings

        async def priced_from_the_list():  # the inventory cached before the refresh landed expires within its TTL
            answer = json.loads((await jp_fetch("studio-collab", "cost")).body)
            rows = {r["name"]: r for r in answer["resources"]}
            app = rows["alice-space/JupyterLab/default"]
            return (answer, rows, app) if app["price_basis"] == "price_list" else None

        answer, rows, app = await until(priced_from_the_list, timeout=60, interval=0.5, what="Price List prices")
        assert (app["hourly_price"], app["price_basis"], app["price_estimate"]) == (0.05, "price_list", False)
        assert answer["prices"]["price_list_fetched_at"] == cached["fetched_at"]
        # The admin's figure beats every other source; a size nobody priced stays null.
        mlflow = rows["team-mlflow"]
        assert (mlflow["hourly_price"], mlflow["price_basis"]) == (0.642, "override")


class TestUnreachablePriceList:
    @pytest.fixture
    def studio_collab_config(self, tmp_path):
        self.cache_path = tmp_path / "prices.json"
        return {"price_refresh": True, "price_cache_path": str(self.cache_path)}

    async def test_bundled_prices_keep_serving(self, world_env, jp_fetch):
        world_env.fault("pricing:GetProducts", "access_denied")
        await jp_fetch("studio-collab", "cost")
        await until(lambda: world_env.calls().get("pricing:GetProducts"), what="the refresh to ask the Price List")
        answer = json.loads((await jp_fetch("studio-collab", "cost")).body)
        app = {r["name"]: r for r in answer["resources"]}["alice-space/JupyterLab/default"]
        assert app["price_basis"] == "component" and not self.cache_path.exists()
        assert answer["prices"]["price_list_fetched_at"] is None


class TestSpend:
    @pytest.fixture
    def studio_collab_config(self):
        return {"cost_explorer_enabled": True}

    async def test_billed_spend_from_cost_explorer(self, world_env, jp_fetch, openapi_validator):
        answer = json.loads((await jp_fetch("studio-collab", "cost", "spend")).body)
        openapi_validator.validate("get", "/cost/spend", 200, answer)
        assert answer["available"] is True and answer["total"] > 0 and answer["by_space"]
        assert "lags" in answer["note"]
        again = json.loads((await jp_fetch("studio-collab", "cost", "spend")).body)
        assert again == answer and world_env.calls().get("ce:GetCostAndUsage") == 1  # CE bills per request


async def test_spend_is_off_by_default(world_env, jp_fetch):
    answer = json.loads((await jp_fetch("studio-collab", "cost", "spend")).body)
    assert answer["available"] is False and "cost_explorer_enabled" in answer["reason"]
    assert "ce:GetCostAndUsage" not in world_env.calls()


@pytest.mark.world_scenario("large")
@pytest.mark.world_space("space-0000")
# moto answers Search over 5,000 jobs in a few hundred ms a page, slower while the other lists run.
# The inventory kept for the whole test (the product's default is 30 s), so what the warm requests cost never depends on
# how long the cold one took on a busy machine.
@pytest.mark.parametrize("studio_collab_config", [{"aws_read_timeout": 30.0, "cost_cache_ttl_seconds": 3600.0}])
async def test_large_scenario_lists_everything_running(world_env, jp_fetch):
    sm = world_env.client("sagemaker")

    def paginate(operation: str, key: str, **params) -> list:
        return [item for page in sm.get_paginator(operation).paginate(**params) for item in page[key]]

    every_app = paginate("list_apps", "Apps", DomainIdEquals=world_env.domain_id)
    apps = [a for a in every_app if a["Status"] in ("InService", "Pending")]
    notebooks = paginate("list_notebook_instances", "NotebookInstances", StatusEquals="InService")
    training = paginate("list_training_jobs", "TrainingJobSummaries", StatusEquals="InProgress")
    world_env.clear_calls()
    began = time.perf_counter()
    answer = json.loads((await jp_fetch("studio-collab", "cost", request_timeout=120)).body)
    cold = time.perf_counter() - began
    kinds = {}
    for row in answer["resources"]:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    assert answer["errors"] == [] and answer["stale"] is False
    assert kinds["app"] == len(apps) > 800
    assert kinds["notebook_instance"] == len(notebooks) > 100
    assert kinds["endpoint"] == 100
    assert kinds["training_job"] == len(training) > 300
    # ml.p3.2xlarge notebook instances: AWS dropped p3 from its tables in 2026, so no price is invented.
    p3 = [r for r in answer["resources"] if r["instance_type"] == "ml.p3.2xlarge"]
    assert p3 and all(r["hourly_price"] is None for r in p3)
    assert answer["unpriced"] >= len(p3)
    calls = world_env.calls()
    # Search brings whole training jobs and endpoints, a hundred a call: no Describe per running job or endpoint;
    # only each job whose instances wait in a warm pool is described (its keep-alive and end).
    warm = paginate("list_training_jobs", "TrainingJobSummaries", WarmPoolStatusEquals="Available")
    assert kinds["warm_pool"] == len(warm) == 20
    assert calls.get("sagemaker:DescribeTrainingJob", 0) == len(warm) and "sagemaker:DescribeEndpoint" not in calls
    for kind in ("space_storage", "scheduled_notebook_job", "inference_component", "mlflow_app"):
        assert kinds[kind] > 0, kind  # the forgotten kinds of the large domain
    assert calls["sagemaker:Search"] <= 2 * (len(training) // 100 + 2)
    assert calls["sagemaker:DescribeEndpointConfig"] == 100  # once per config, then remembered
    assert calls["sagemaker:ListApps"] == -(-len(every_app) // 100)  # 100 a page
    print(f"large scenario: {len(answer['resources'])} rows, cold {cold:.2f} s, {sum(calls.values())} AWS calls")
    # Warm: served from the one inventory, no inventory call (how fast is a row of benchmarks/bench_cost.py).
    world_env.clear_calls()
    for _ in range(5):
        warm = json.loads((await jp_fetch("studio-collab", "cost")).body)
        assert len(warm["resources"]) == len(answer["resources"])
    # (Each test request logs in by token as a new anonymous Jupyter user, whose name the product checks once against
    # the domain's user profiles in this shared space: that is identity, not the inventory.)
    assert set(world_env.calls()) <= {"sagemaker:DescribeUserProfile"}, world_env.calls()
