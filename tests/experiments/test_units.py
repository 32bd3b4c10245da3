"""The pure parts: order parsing and sorting, tracking URIs, training-job mapping, comparisons."""

from __future__ import annotations

import pytest

from studio_collab.errors import StudioCollabError
from studio_collab.experiments.mlflow import run_from_mlflow
from studio_collab.experiments.run_order import RunOrder
from studio_collab.experiments.service import comparison
from studio_collab.experiments.tracking import active_tracking_server, target_from_uri
from studio_collab.experiments.training_jobs import run_from_description

ARN = "arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/team"


@pytest.mark.parametrize(
    "text, expected",
    [
        (None, ("attribute", "start_time", False)),
        ("metrics.accuracy", ("metric", "accuracy", False)),
        ("metrics.`val loss` asc", ("metric", "val loss", True)),
        ("params.lr ASC", ("param", "lr", True)),
        ("metrics.validation:auc DESC", ("metric", "validation:auc", False)),
        ("name ASC", ("attribute", "run_name", True)),
        ("attributes.end_time DESC", ("attribute", "end_time", False)),
    ],
)
def test_order_parsing(text, expected):
    order = RunOrder.parse(text)
    assert (order.kind, order.key, order.ascending) == expected


@pytest.mark.parametrize(
    "text",
    [
        "metrics.a' OR 1=1",
        "tags.team DESC",
        "artifact_uri ASC",
        "metrics.a DESC x",
        "metrics.`a`b` DESC",
        "metrics." + "x" * 300,
    ],
)
def test_order_parsing_refuses_anything_else(text):
    with pytest.raises(StudioCollabError) as err:
        RunOrder.parse(text)
    assert err.value.code == "invalid_order_by" and err.value.status == 400


def test_mlflow_clause_always_quotes_the_key():
    assert RunOrder.parse("metrics.val DESC").mlflow_clause() == "metrics.`val` DESC"
    assert RunOrder.parse("params.`learning rate` ASC").mlflow_clause() == "params.`learning rate` ASC"


def _run(rid, start, **metrics):
    return {"id": rid, "name": rid, "start_time": start, "metrics": metrics, "params": {}}


@pytest.mark.parametrize(
    "direction, expected", [("DESC", ["b", "a", "c", "e", "d"]), ("ASC", ["c", "a", "b", "e", "d"])]
)
def test_sort_puts_missing_values_last_either_way_then_newest(direction, expected):
    runs = [_run("a", 1, acc=0.5), _run("b", 2, acc=0.9), _run("c", 3, acc=0.1), _run("d", 4), _run("e", 5)]
    assert [r["id"] for r in RunOrder.parse(f"metrics.acc {direction}").sort(runs)] == expected


def test_plain_uri_never_keeps_credentials():
    target = target_from_uri("https://ann:s3cret@mlflow.example.com:8443/team/", "config", None, {})
    assert target.uri == target.base_url == "https://mlflow.example.com:8443/team"
    assert target.basic_auth == ("ann", "s3cret") and "s3cret" not in target.snippet()
    assert target.static_headers()["Authorization"].startswith("Basic ")
    assert target.ui_url("3", "abc") == "https://mlflow.example.com:8443/team/#/experiments/3/runs/abc"
    token = target_from_uri("http://mlflow:5000", "environment", None, {"MLFLOW_TRACKING_TOKEN": "t0k"})
    assert token.static_headers()["Authorization"] == "Bearer t0k" and "t0k" not in token.snippet()


def test_arn_targets_the_regional_endpoint_unless_overridden():
    target = target_from_uri(ARN, "config", None, {})
    assert target.base_url == "https://eu-west-1.experiments.sagemaker.aws"
    assert target.region == "eu-west-1" and target.resource_name == "team" and target.is_sagemaker
    assert target.static_headers()["x-mlflow-sm-tracking-server-arn"] == ARN
    assert target_from_uri(ARN, "config", "http://127.0.0.1:5000/", {}).base_url == "http://127.0.0.1:5000"
    app = target_from_uri("arn:aws:sagemaker:us-east-1:123456789012:mlflow-app/app-1", "config", None, {})
    assert app.kind == "mlflow-app" and app.static_headers()["x-sm-mlflow-app-arn"] == app.arn


@pytest.mark.parametrize(
    "uri",
    ["file:///tmp/mlruns", "sqlite:///mlflow.db", "databricks", "arn:aws:sagemaker:us-east-1:123456789012:endpoint/x"],
)
def test_stores_without_a_server_are_explained(uri):
    with pytest.raises(StudioCollabError) as err:
        target_from_uri(uri, "config", None, {})
    assert err.value.code == "mlflow_not_supported"


def test_active_tracking_server_is_the_newest_serving_one():
    servers = [
        {"TrackingServerArn": "a", "IsActive": "Active", "TrackingServerStatus": "Created", "CreationTime": "1"},
        {"TrackingServerArn": "b", "IsActive": "Active", "TrackingServerStatus": "Started", "CreationTime": "2"},
        {"TrackingServerArn": "c", "IsActive": "Active", "TrackingServerStatus": "Stopped", "CreationTime": "3"},
        {"TrackingServerArn": "d", "IsActive": "Inactive", "TrackingServerStatus": "Created", "CreationTime": "4"},
    ]
    assert active_tracking_server(servers)["TrackingServerArn"] == "b"
    assert active_tracking_server(servers[2:]) is None


def test_training_job_with_mlflow_config_links_its_run():
    run = run_from_description(
        {
            "TrainingJobName": "job-1",
            "TrainingJobStatus": "Completed",
            "HyperParameters": {"lr": '"0.1"', "n": "5"},
            "FinalMetricDataList": [{"MetricName": "val:acc", "Value": 0.8}],
            "BillableTimeInSeconds": 301,
            "ResourceConfig": {"InstanceGroups": [{"InstanceType": "ml.g5.xlarge", "InstanceCount": 2}]},
            "MlflowConfig": {"MlflowResourceArn": ARN, "MlflowExperimentName": "churn"},
            "MlflowDetails": {"MlflowExperimentId": "4", "MlflowRunId": "abc123"},
        }
    )
    assert run["params"] == {"lr": "0.1", "n": "5"} and run["metrics"] == {"val:acc": 0.8}
    details = run["details"]
    assert (details["instance_type"], details["instance_count"]) == ("ml.g5.xlarge", 2)
    assert details["billable_seconds"] == 301
    assert details["mlflow"] == {
        "resource_arn": ARN,
        "experiment_name": "churn",
        "run_name": None,
        "experiment_id": "4",
        "run_id": "abc123",
    }


def test_mlflow_nan_and_infinity_become_null():
    run = run_from_mlflow(
        {
            "info": {"run_id": "r1", "experiment_id": "1", "status": "FAILED"},
            "data": {
                "metrics": [{"key": "a", "value": "NaN"}, {"key": "b", "value": "Infinity"}, {"key": "c", "value": 2}],
                "tags": [{"key": "mlflow.log-model.history", "value": "x" * 9000}, {"key": "team", "value": "t"}],
            },
        }
    )
    assert run["metrics"] == {"a": None, "b": None, "c": 2.0}
    assert run["tags"] == {"team": "t"} and run["name"] == "r1"


def test_comparison_lists_differing_params_and_metric_moves():
    a = {"id": "a", "name": "a", "params": {"lr": "0.1", "depth": "3"}, "metrics": {"acc": 0.5, "loss": 1.0}}
    b = {"id": "b", "name": "b", "params": {"lr": "0.1", "depth": "5", "seed": "1"}, "metrics": {"acc": 0.75}}
    result = comparison([a, b])
    assert result["differing"] == ["depth", "seed"]
    assert result["params"]["seed"] == [None, "1"]
    assert result["metric_deltas"] == {"acc": 0.25, "loss": None}
    assert result["differing_metrics"] == ["acc", "loss"]
