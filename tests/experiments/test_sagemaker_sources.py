"""SageMaker training jobs (every status) and legacy SageMaker Experiments, from the world's emulator."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.experiments.conftest import get_json

STATUSES = {"Completed", "Failed", "InProgress", "Stopping", "Stopped"}


@pytest.fixture(autouse=True)
def _in_studio(world_env):
    pass


@pytest.fixture
def studio_collab_config():
    return {"mlflow_tracking_uri": "http://127.0.0.1:9/never-asked"}  # MLflow plays no part here


def add_training_job(world, name: str, status: str, hours_ago: float, **hyperparameters) -> None:
    sm = world.client("sagemaker")
    sm.create_training_job(
        TrainingJobName=name,
        RoleArn=world.seed.execution_role_arn,
        HyperParameters=hyperparameters,
        AlgorithmSpecification={
            "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1",
            "TrainingInputMode": "File",
        },
        OutputDataConfig={"S3OutputPath": "s3://bucket/out/"},
        ResourceConfig={"InstanceType": "ml.c5.2xlarge", "InstanceCount": 3, "VolumeSizeInGB": 30},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )
    started = datetime.now(timezone.utc) - timedelta(hours=hours_ago)
    world.override(
        "training_job",
        {"Name": name},
        {
            "TrainingJobStatus": status,
            "SecondaryStatus": status,
            "CreationTime": started.isoformat(),
            "TrainingStartTime": started.isoformat(),
            "FinalMetricDataList": [],
        },
    )


async def test_training_jobs_in_every_status(jp_fetch, openapi_validator, world):
    add_training_job(world, "churn-xgb-stopping", "Stopping", 0.5, max_depth="3")
    add_training_job(world, "churn-xgb-stopped", "Stopped", 3, max_depth="4")
    body = await get_json(jp_fetch, "experiments", "training-jobs", "all", "runs")
    openapi_validator.validate("get", "/experiments/training-jobs/all/runs", 200, body)
    runs = {r["name"]: r for r in body["runs"]}
    assert {r["status"] for r in runs.values()} == STATUSES
    names = [r["name"] for r in body["runs"]]
    assert names.index("churn-xgb-stopping") < names.index("churn-xgb-2026-11-26") < names.index("churn-xgb-stopped")
    done = runs["churn-xgb-2026-11-24"]
    assert done["params"] == {"max_depth": "7", "eta": "0.1", "num_round": "400"}
    assert done["metrics"] == pytest.approx({"validation:auc": 0.931, "train:auc": 0.975})
    assert done["details"]["instance_type"] == "ml.m5.xlarge" and done["details"]["instance_count"] == 1
    assert runs["churn-xgb-stopped"]["details"]["instance_count"] == 3
    assert "training diverged" in runs["churn-xgb-2026-11-25"]["details"]["failure_reason"]
    assert runs["churn-xgb-2026-11-26"]["end_time"] is None and runs["churn-xgb-2026-11-26"]["metrics"] == {}


async def test_training_jobs_order_by_final_metric_and_page(jp_fetch, world):
    body = await get_json(
        jp_fetch,
        "experiments",
        "training-jobs",
        "all",
        "runs",
        params={"order_by": "metrics.validation:auc DESC", "limit": "1", "best_by": "metrics.validation:auc DESC"},
    )
    assert [r["name"] for r in body["runs"]] == ["churn-xgb-2026-11-24"]
    assert body["best_run_id"] == "churn-xgb-2026-11-24"
    second = await get_json(
        jp_fetch,
        "experiments",
        "training-jobs",
        "all",
        "runs",
        params={"order_by": "metrics.validation:auc DESC", "limit": "1", "page_token": body["next_page_token"]},
    )
    assert [r["name"] for r in second["runs"]] == ["churn-xgb-2026-11-20"]
    by_param = await get_json(
        jp_fetch, "experiments", "training-jobs", "all", "runs", params={"order_by": "params.max_depth ASC"}
    )
    assert [r["params"]["max_depth"] for r in by_param["runs"]] == ["12", "5", "6", "7"]  # text order, as MLflow
    unknown = await get_json(
        jp_fetch, "experiments", "training-jobs", "all", "runs", params={"order_by": "metrics.f1 DESC"}, expect=400
    )
    assert unknown["code"] == "unknown_order_key" and "validation:auc" in unknown["message"]


async def test_training_job_detail_compare_and_no_history(jp_fetch, world):
    body = await get_json(jp_fetch, "experiments", "training-jobs", "all", "runs", "churn-xgb-2026-11-20")
    assert body["run"]["params"]["num_round"] == "200"
    compared = await get_json(
        jp_fetch,
        "experiments",
        "compare",
        params={"source": "training-jobs", "runs": "churn-xgb-2026-11-20,churn-xgb-2026-11-24"},
    )
    assert compared["differing"] == ["eta", "max_depth", "num_round"]
    assert compared["metric_deltas"]["validation:auc"] == pytest.approx(0.931 - 0.912)
    missing = await get_json(jp_fetch, "experiments", "training-jobs", "all", "runs", "no-such-job", expect=404)
    assert missing["code"] == "not_found"
    history = await get_json(
        jp_fetch,
        "experiments",
        "training-jobs",
        "all",
        "runs",
        "churn-xgb-2026-11-20",
        "metric-history",
        params={"key": "train:auc"},
        expect=404,
    )
    assert history["code"] == "metric_history_unavailable"


async def test_finished_jobs_are_described_once(jp_fetch, world):
    world.clear_calls()
    runs = ("experiments", "training-jobs", "all", "runs")
    await get_json(jp_fetch, *runs, params={"order_by": "metrics.train:auc DESC"})
    first = world.calls().get("sagemaker:DescribeTrainingJob", 0)
    world.clear_calls()
    await get_json(jp_fetch, *runs, params={"order_by": "metrics.train:auc ASC"})
    assert first == 4 and world.calls().get("sagemaker:DescribeTrainingJob", 0) == 1  # only the running job again


def add_trial_component(world, name: str, trial: str, lr: float, optimizer: str, accuracy: list[float]) -> None:
    """A trial component the way the SageMaker Experiments SDK makes one: parameters, then metrics by step."""
    sm = world.client("sagemaker")
    sm.create_trial_component(
        TrialComponentName=name,
        DisplayName=name.replace("-", " "),
        Status={"PrimaryStatus": "Completed"},
        Parameters={"lr": {"NumberValue": lr}, "optimizer": {"StringValue": optimizer}},
    )
    sm.associate_trial_component(TrialComponentName=name, TrialName=trial)
    now = datetime.now(timezone.utc)
    world.client("sagemaker-metrics").batch_put_metrics(
        TrialComponentName=name,
        MetricData=[
            {"MetricName": "accuracy", "Timestamp": now, "Step": step, "Value": value}
            for step, value in enumerate(accuracy)
        ],
    )


async def test_legacy_experiments_trial_components_as_runs(jp_fetch, openapi_validator, world):
    add_trial_component(world, "baseline-sgd", "baseline", 0.1, "sgd", [0.5, 0.71])
    add_trial_component(world, "tuned-adam", "tuned", 0.01, "adam", [0.6, 0.88])
    add_trial_component(world, "tuned-adam-lr", "tuned", 0.003, "adam", [0.6, 0.84])
    overview = await get_json(jp_fetch, "experiments")
    assert {"source": "legacy", "id": "churn-experiments", "name": "churn-experiments"} in overview["experiments"]
    body = await get_json(
        jp_fetch,
        "experiments",
        "legacy",
        "churn-experiments",
        "runs",
        params={"order_by": "metrics.accuracy DESC", "best_by": "metrics.accuracy DESC"},
    )
    openapi_validator.validate("get", "/experiments/legacy/churn-experiments/runs", 200, body)
    ids = [r["id"] for r in body["runs"]]
    # in accuracy order among the scenario's own runs (its SDK-logged runs log accuracy too; its training-job
    # components do not, so they sort last)
    assert [i for i in ids if i in {"tuned-adam", "tuned-adam-lr", "baseline-sgd"}] == [
        "tuned-adam",
        "tuned-adam-lr",
        "baseline-sgd",
    ]
    assert ids[0] == "tuned-adam" and ids.index("baseline-sgd") < ids.index("churn-xgb-2026-11-20-aws-training-job")
    assert {"churn-xgb-2026-11-20-aws-training-job", "churn-xgb-2026-11-24-aws-training-job"} <= set(ids)
    assert body["best_run_id"] == "tuned-adam"
    top = body["runs"][0]
    assert top["name"] == "tuned adam" and top["status"] == "Completed"
    assert top["params"] == {"lr": "0.01", "optimizer": "adam"}
    assert top["metrics"] == pytest.approx({"accuracy": 0.88})
    assert top["details"]["trials"] == ["tuned"]
    detail = await get_json(jp_fetch, "experiments", "legacy", "churn-experiments", "runs", "baseline-sgd")
    assert detail["run"]["params"]["lr"] == "0.1"
    compared = await get_json(
        jp_fetch, "experiments", "compare", params={"source": "legacy", "runs": "tuned-adam,tuned-adam-lr"}
    )
    assert compared["differing"] == ["lr"]
    assert (await get_json(jp_fetch, "experiments", "legacy", "other-experiment", "runs", "tuned-adam", expect=404))[
        "code"
    ] == "not_found"
    assert (await get_json(jp_fetch, "experiments", "legacy", "churn-experiments", "runs", "no-such", expect=404))[
        "code"
    ] == "not_found"
