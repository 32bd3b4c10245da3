"""Legacy SageMaker Experiments metrics (E3) in the runs table and the comparison, from what the world's demo
scenario logged through ``sagemaker-metrics:BatchPutMetrics``: the figures are checked against the scenario file."""

from __future__ import annotations

import json
import math

import pytest

from tests.experiments.conftest import get_json
from tests.experiments.test_sagemaker_sources import _in_studio, studio_collab_config  # noqa: F401 - fixtures


def _sdk_runs(world) -> dict[str, dict]:
    experiment = next(x for x in world.scenario.section("experiments") if x.get("runs"))
    return {run["name"]: run for run in experiment["runs"]}


async def test_runs_table_shows_and_sorts_by_legacy_metrics(jp_fetch, openapi_validator, world):
    runs = _sdk_runs(world)
    body = await get_json(
        jp_fetch,
        "experiments",
        "legacy",
        "churn-experiments",
        "runs",
        params={"order_by": "metrics.auc DESC", "best_by": "metrics.auc DESC"},
    )
    openapi_validator.validate("get", "/experiments/legacy/churn-experiments/runs", 200, body)
    by_id = {r["id"]: r for r in body["runs"]}
    best = max(runs, key=lambda name: runs[name]["metrics"]["auc"][-1])
    assert body["best_run_id"] == best and body["runs"][0]["id"] == best
    for name, run in runs.items():
        shown = by_id[name]
        assert shown["name"] == run["display_name"]
        assert shown["metrics"] == pytest.approx({k: series[-1] for k, series in run["metrics"].items()})
        for metric, series in run["metrics"].items():
            summary = shown["details"]["metric_summaries"][metric]
            assert (summary["min"], summary["max"], summary["last"], summary["count"]) == (
                min(series),
                max(series),
                series[-1],
                len(series),
            )
            assert summary["avg"] == pytest.approx(sum(series) / len(series))
    # the training jobs' own components carry the jobs' final metrics
    for job in world.scenario.section("training_jobs"):
        if job.get("experiment") and job.get("metrics"):
            assert by_id[f"{job['name']}-aws-training-job"]["metrics"] == pytest.approx(job["metrics"])


async def test_comparison_of_two_legacy_runs_has_their_metrics(jp_fetch, openapi_validator, world):
    runs = _sdk_runs(world)
    first, second = sorted(runs)
    compared = await get_json(
        jp_fetch, "experiments", "compare", params={"source": "legacy", "runs": f"{first},{second}"}
    )
    openapi_validator.validate("get", "/experiments/compare", 200, compared)
    for metric in runs[first]["metrics"]:
        a, b = runs[first]["metrics"][metric][-1], runs[second]["metrics"][metric][-1]
        assert compared["metrics"][metric] == pytest.approx([a, b])
        assert compared["metric_deltas"][metric] == pytest.approx(b - a)
    assert set(compared["differing"]) == {
        k for k in runs[first]["parameters"] if runs[first]["parameters"][k] != runs[second]["parameters"][k]
    }


@pytest.mark.parametrize("infinity, nan", [(math.inf, math.nan), ("Infinity", "NaN")], ids=["bare", "quoted"])
def test_a_diverged_metric_is_null_not_invalid_json(infinity, nan):
    """A non-finite double on the wire (bare, which botocore's json.loads turns into a float inf/NaN that
    json.dumps would write back as a token no browser parses, or quoted, which it leaves a string): the run
    shows null, the finite summaries stay."""
    import botocore.session
    from botocore.parsers import create_parser

    from studio_collab.experiments.legacy import run_from_component

    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("DescribeTrialComponent").output_shape
    wire = {
        "TrialComponentName": "diverged-run",
        "Status": {"PrimaryStatus": "Failed"},
        "Metrics": [
            {"MetricName": "loss", "Min": 0.7, "Max": infinity, "Avg": nan, "Last": infinity, "Count": 2, "StdDev": nan}
        ],
    }
    described = create_parser("json").parse(
        {"body": json.dumps(wire).encode(), "headers": {}, "status_code": 200}, shape
    )
    run = run_from_component(described, "churn-experiments")
    assert run["metrics"] == {"loss": None}
    assert run["details"]["metric_summaries"]["loss"] == {
        "min": 0.7,
        "max": None,
        "avg": None,
        "last": None,
        "count": 2,
        "stddev": None,
    }

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    json.loads(json.dumps(run), parse_constant=refuse)
