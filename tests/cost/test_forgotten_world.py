"""The forgotten resources (row C9) on the world: each kind listed with its owner (from Studio's tags or the
space's owner), its age and its price, as the emulator serves them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

pytestmark = pytest.mark.world

# A figure for the admin-override path only (none is bundled): USD per GB-month of a space's volume.
STORAGE_OVERRIDE = 0.14


@pytest.fixture
def studio_collab_config():
    return {
        "cost_cache_ttl_seconds": 0.2,
        "price_overrides": {"us-east-1": {"space_storage": {"gb_month": STORAGE_OVERRIDE}}},
    }


async def get_cost(jp_fetch, scope: str = "domain") -> dict:
    return json.loads((await jp_fetch("studio-collab", "cost", params={"scope": scope})).body)


def profile_arn(world, name: str) -> str:
    return f"arn:aws:sagemaker:{world.region}:123456789012:user-profile/{world.domain_id}/{name}"


async def test_demo_forgotten_kinds_have_owner_age_and_price(world_env, jp_fetch, openapi_validator):
    answer = await get_cost(jp_fetch)
    openapi_validator.validate("get", "/cost?scope=domain", 200, answer)
    assert answer["errors"] == []
    rows = {r["name"]: r for r in answer["resources"]}

    component = rows["churn-model-canary"]
    assert (component["kind"], component["owner"], component["space"]) == ("inference_component", "bob", "bob-space")
    assert component["endpoint"] == "churn-model-prod" and component["count"] == 1
    assert component["hourly_price"] is None and component["price_basis"] == "included"
    assert component["started"] < (datetime.now(timezone.utc) - timedelta(hours=199)).isoformat()

    app = rows["bob-sandbox"]
    assert (app["kind"], app["owner"], app["price_basis"], app["hourly_price"]) == (
        "mlflow_app",
        "bob",
        "no_hourly_charge",
        None,
    )
    assert "No hourly charge" in answer["price_sources"][app["price_source"]]["source"]

    job = rows["nightly-churn-report"]
    assert (job["kind"], job["owner"], job["space"], job["notebook"]) == (
        "scheduled_notebook_job",
        "alice",
        "alice-space",
        "reports/churn.ipynb",
    )
    assert job["instance_type"] == "ml.m5.xlarge" and job["billing"] == "per_run" and job["hourly_price"] is None
    training_price = answer["price_sources"][job["price_source"]]["usd_per_hour"]
    assert job["run_hourly_price"] == training_price

    # None of the three adds to the burn rate: each says why instead of counting as unpriced.
    assert answer["unpriced"] == 1  # only the tracking server, as before
    mine = {r["name"] for r in (await get_cost(jp_fetch, "mine"))["resources"]}
    assert "nightly-churn-report" in mine and "bob-sandbox" not in mine and "churn-model-canary" not in mine


async def test_stopped_space_storage_and_warm_pool(world_env, jp_fetch):
    sm = world_env.client("sagemaker")
    sm.create_user_profile(DomainId=world_env.domain_id, UserProfileName="dave")
    sm.create_space(
        DomainId=world_env.domain_id,
        SpaceName="dave-space",
        OwnershipSettings={"OwnerUserProfileName": "dave"},
        SpaceSharingSettings={"SharingType": "Private"},
        SpaceSettings={
            "AppType": "JupyterLab",
            "SpaceStorageSettings": {"EbsStorageSettings": {"EbsVolumeSizeInGb": 50}},
        },
    )
    sm.create_space(
        DomainId=world_env.domain_id,
        SpaceName="dave-scratch",
        OwnershipSettings={"OwnerUserProfileName": "dave"},
        SpaceSharingSettings={"SharingType": "Private"},
        SpaceSettings={"AppType": "JupyterLab"},
    )
    role = f"arn:aws:iam::123456789012:role/{world_env.scenario.section('domain')['execution_role']}"
    sm.create_training_job(
        TrainingJobName="dave-tuning-warm",
        RoleArn=role,
        AlgorithmSpecification={
            "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1",
            "TrainingInputMode": "File",
        },
        OutputDataConfig={"S3OutputPath": "s3://b/out/"},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        ResourceConfig={
            "InstanceType": "ml.g4dn.xlarge",
            "InstanceCount": 2,
            "VolumeSizeInGB": 30,
            "KeepAlivePeriodInSeconds": 3600,
        },
        Tags=[{"Key": "sagemaker:user-profile-arn", "Value": profile_arn(world_env, "dave")}],
    )
    ended = datetime.now(timezone.utc) - timedelta(minutes=10)
    world_env.override(
        "training_job",
        {"Name": "dave-tuning-warm"},
        {
            "TrainingJobStatus": "Completed",
            "SecondaryStatus": "Completed",
            "TrainingEndTime": ended.isoformat(),
            "LastModifiedTime": ended.isoformat(),
        },
    )

    answer = await get_cost(jp_fetch)
    rows = {(r["kind"], r["name"]): r for r in answer["resources"]}
    # The three demo spaces run apps: only dave's stopped spaces bill for storage alone.
    assert {name for kind, name in rows if kind == "space_storage"} == {"dave-space", "dave-scratch"}
    storage = rows[("space_storage", "dave-space")]
    assert (storage["owner"], storage["storage_gb"], storage["size_source"]) == ("dave", 50, "space")
    assert storage["gb_month_price"] == STORAGE_OVERRIDE and storage["price_basis"] == "override"
    assert storage["hourly_price"] == pytest.approx(50 * STORAGE_OVERRIDE / 730, rel=1e-4)
    # No size on the space: the domain's default for new spaces (the demo's 5 GB).
    scratch = rows[("space_storage", "dave-scratch")]
    assert (scratch["storage_gb"], scratch["size_source"]) == (5, "domain")

    warm = rows[("warm_pool", "dave-tuning-warm")]
    assert (warm["owner"], warm["status"], warm["count"], warm["keep_alive_seconds"]) == ("dave", "WarmPool", 2, 3600)
    assert warm["hourly_price"] == pytest.approx(2 * warm["unit_price"]) and warm["unit_price"] > 0
    assert ("training_job", "dave-tuning-warm") not in rows
    assert answer["burn_rate_per_hour"] == pytest.approx(
        sum(r["hourly_price"] or 0 for r in answer["resources"]), abs=1e-4
    )


async def test_stopped_space_storage_at_the_bundled_price_with_its_source(world_env, jp_fetch, jp_serverapp):
    sm = world_env.client("sagemaker")
    sm.create_space(
        DomainId=world_env.domain_id,
        SpaceName="carol-space",
        OwnershipSettings={"OwnerUserProfileName": "carol"},
        SpaceSharingSettings={"SharingType": "Private"},
        SpaceSettings={"AppType": "JupyterLab"},
    )
    cost = jp_serverapp.extension_manager.extension_apps["studio_collab"]
    service = next(iter(cost)).core.cost
    service.prices = service.prices.__class__.bundled()  # no admin figure at all
    service.cache.invalidate()
    answer = await get_cost(jp_fetch)
    row = next(r for r in answer["resources"] if r["kind"] == "space_storage")
    assert (row["name"], row["owner"], row["storage_gb"], row["price_basis"]) == (
        "carol-space",
        "carol",
        5,
        "bundled_storage",
    )
    # SageMaker's ML storage (General Purpose SSD) in us-east-1, as the SageMaker pricing page gives it.
    assert row["gb_month_price"] == 0.14 and row["hourly_price"] == pytest.approx(5 * 0.14 / 730, rel=1e-4)
    assert row["started"] and row["accrued"] is not None and row["accrued"] >= 0
    source = answer["price_sources"][row["price_source"]]
    assert "SageMaker pricing page" in source["source"] and source["as_of"] == "2026-09-27"
