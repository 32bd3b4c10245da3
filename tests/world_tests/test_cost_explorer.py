"""The world's Cost Explorer and legacy Experiments metrics, through botocore as a product would call them.

botocore parses every answer with AWS's own service model, so a shape the emulator gets wrong fails here; the
figures are checked against the scenario file and the world's price table, not against the emulator's code.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from studio_world.pricing import PRICES_FILE

SPACE_TAG = "sagemaker:space-arn"


def _last_30_days() -> dict:
    end = datetime.now(timezone.utc).date()
    return {"Start": (end - timedelta(days=30)).isoformat(), "End": end.isoformat()}


def _price(world, component: str, instance_type: str) -> float:
    return json.loads(PRICES_FILE.read_text())["prices"][world.region][component][instance_type]


def _space_arn(world, space: str) -> str:
    return world.client("sagemaker").describe_space(DomainId=world.domain_id, SpaceName=space)["SpaceArn"]


def _by_key(answer: dict, metric: str = "UnblendedCost") -> dict[str, float]:
    sums: dict[str, float] = {}
    for period in answer["ResultsByTime"]:
        for group in period["Groups"]:
            key = "|".join(group["Keys"])
            sums[key] = sums.get(key, 0.0) + float(group["Metrics"][metric]["Amount"])
    return sums


def _sagemaker_by_space(world) -> dict:
    return world.client("ce").get_cost_and_usage(
        TimePeriod=_last_30_days(),
        Granularity="MONTHLY",
        Metrics=["UnblendedCost"],
        Filter={"Dimensions": {"Key": "SERVICE", "Values": ["Amazon SageMaker"]}},
        GroupBy=[{"Type": "TAG", "Key": SPACE_TAG}],
    )


def test_spend_grouped_by_space_tag_agrees_with_the_scenario(world):
    ce = world.scenario.data["cost_explorer"]
    answer = _sagemaker_by_space(world)
    assert answer["GroupDefinitions"] == [{"Type": "TAG", "Key": SPACE_TAG}]
    periods = answer["ResultsByTime"]
    # 30 days cut at the calendar month: one or two periods, back to back, covering exactly the asked days
    assert periods[0]["TimePeriod"]["Start"] == _last_30_days()["Start"]
    assert periods[-1]["TimePeriod"]["End"] == _last_30_days()["End"]
    assert all(p["Total"] == {} for p in periods)  # AWS leaves Total empty when grouping
    sums = _by_key(answer)
    hours = ce["space_hours_per_day"]
    for app in world.scenario.section("apps"):
        expected = ce["days"] * hours * _price(world, "studio_jupyterlab", app["instance_type"])
        assert sums[f"{SPACE_TAG}${_space_arn(world, app['space'])}"] == pytest.approx(expected, abs=0.01)
    # the untagged bucket: the running notebook instance and endpoint, around the clock on each whole day since
    # they started (the endpoint started 400 hours ago: 16 of the 30 days)
    notebook = next(n for n in world.scenario.section("notebook_instances") if n.get("status") != "Stopped")
    endpoint = world.scenario.section("endpoints")[0]

    def days(hours_ago: float) -> int:
        return min(30, int(hours_ago // 24))

    untagged = days(notebook["started_hours_ago"]) * 24 * _price(
        world, "notebook_instance", notebook["instance_type"]
    ) + days(endpoint["started_hours_ago"]) * 24 * endpoint["count"] * _price(
        world, "hosting", endpoint["instance_type"]
    )
    assert sums[f"{SPACE_TAG}$"] == pytest.approx(untagged, abs=0.01)
    assert len(sums) == len(world.scenario.section("apps")) + 1


def test_service_filter_and_grouping_by_service(world):
    other = world.scenario.data["cost_explorer"]["other_services_daily_usd"]
    everything = world.client("ce").get_cost_and_usage(
        TimePeriod=_last_30_days(),
        Granularity="DAILY",
        Metrics=["UnblendedCost", "UsageQuantity"],
        GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}],
    )
    assert len(everything["ResultsByTime"]) == 30
    by_service = _by_key(everything)
    for service, usd in other.items():
        assert by_service[service] == pytest.approx(30 * usd, abs=0.01)
    sagemaker_only = sum(_by_key(_sagemaker_by_space(world)).values())
    assert by_service["Amazon SageMaker"] == pytest.approx(sagemaker_only, abs=0.01)
    day = everything["ResultsByTime"][0]["Groups"][0]["Metrics"]
    assert day["UnblendedCost"]["Unit"] == "USD" and day["UsageQuantity"]["Unit"] == "Hrs"
    total = world.client("ce").get_cost_and_usage(
        TimePeriod=_last_30_days(),
        Granularity="MONTHLY",
        Metrics=["UnblendedCost"],
        Filter={"Not": {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon SageMaker"]}}},
    )
    assert sum(float(p["Total"]["UnblendedCost"]["Amount"]) for p in total["ResultsByTime"]) == pytest.approx(
        30 * sum(other.values()), abs=0.01
    )


def test_tag_filter_names_one_space(world):
    arn = _space_arn(world, "bob-space")
    answer = world.client("ce").get_cost_and_usage(
        TimePeriod=_last_30_days(),
        Granularity="MONTHLY",
        Metrics=["UnblendedCost"],
        Filter={"Tags": {"Key": SPACE_TAG, "Values": [arn]}},
    )
    spent = sum(float(p["Total"]["UnblendedCost"]["Amount"]) for p in answer["ResultsByTime"])
    bob = next(a for a in world.scenario.section("apps") if a["space"] == "bob-space")
    assert spent == pytest.approx(30 * 8 * _price(world, "studio_jupyterlab", bob["instance_type"]), abs=0.01)


def test_tag_not_activated_puts_everything_in_the_untagged_bucket(world):
    ce = world.client("ce")
    assert ce.list_cost_allocation_tags(TagKeys=[SPACE_TAG])["CostAllocationTags"] == [
        {"TagKey": SPACE_TAG, "Type": "UserDefined", "Status": "Active"}
    ]
    before = sum(_by_key(_sagemaker_by_space(world)).values())
    ce.update_cost_allocation_tags_status(CostAllocationTagsStatus=[{"TagKey": SPACE_TAG, "Status": "Inactive"}])
    assert ce.list_cost_allocation_tags(TagKeys=[SPACE_TAG])["CostAllocationTags"][0]["Status"] == "Inactive"
    sums = _by_key(_sagemaker_by_space(world))
    assert list(sums) == [f"{SPACE_TAG}$"] and sums[f"{SPACE_TAG}$"] == pytest.approx(before, abs=0.01)


def test_bad_requests_are_refused_as_aws_refuses_them(world):
    from botocore.exceptions import ClientError

    ce = world.client("ce")
    today = date.today().isoformat()
    with pytest.raises(ClientError) as err:
        ce.get_cost_and_usage(TimePeriod={"Start": today, "End": today}, Granularity="DAILY", Metrics=["UnblendedCost"])
    assert err.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as err:
        ce.get_cost_and_usage(
            TimePeriod=_last_30_days(),
            Granularity="DAILY",
            Metrics=["UnblendedCost"],
            GroupBy=[{"Type": "TAG", "Key": "a"}, {"Type": "TAG", "Key": "b"}, {"Type": "TAG", "Key": "c"}],
        )
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_legacy_trial_components_carry_metric_summaries(world):
    """DescribeTrialComponent's Metrics as SageMaker Experiments returns them, for the SDK-logged runs and for
    the components of training jobs, summarising the series the scenario logged."""
    sm = world.client("sagemaker")
    experiment = next(x for x in world.scenario.section("experiments") if x.get("runs"))
    for run in experiment["runs"]:
        described = sm.describe_trial_component(TrialComponentName=run["name"])
        summaries = {m["MetricName"]: m for m in described["Metrics"]}
        assert set(summaries) == set(run["metrics"])
        for name, series in run["metrics"].items():
            m = summaries[name]
            assert (m["Min"], m["Max"], m["Last"], m["Count"]) == (min(series), max(series), series[-1], len(series))
            assert m["Avg"] == pytest.approx(sum(series) / len(series))
        assert {k: v.get("NumberValue", v.get("StringValue")) for k, v in described["Parameters"].items()} == run[
            "parameters"
        ]
    job = next(j for j in world.scenario.section("training_jobs") if j.get("experiment") and j.get("metrics"))
    described = sm.describe_trial_component(TrialComponentName=f"{job['name']}-aws-training-job")
    assert {m["MetricName"]: m["Last"] for m in described["Metrics"]} == pytest.approx(job["metrics"])
