"""MLflow through the routes, against the world's real MLflow server: list, order, page, compare, history."""

from __future__ import annotations

import pytest

from tests.experiments.conftest import BULK_RUNS, get_json, post_json


@pytest.fixture(autouse=True)
def _in_world(mlflow_world, world_env):
    pass


@pytest.fixture
def studio_collab_config(mlflow_world):
    return {"mlflow_tracking_uri": mlflow_world.mlflow_url, "mlflow_timeout_seconds": 10.0}


async def test_overview_lists_every_source_and_experiment(jp_fetch, openapi_validator, mlflow_world, mlflow_runs):
    body = await get_json(jp_fetch, "experiments")
    openapi_validator.validate("get", "/experiments", 200, body)
    assert {s["name"]: s["available"] for s in body["sources"]} == {
        "mlflow": True,
        "training-jobs": True,
        "legacy": True,
    }
    mlflow = {e["name"]: e["id"] for e in body["experiments"] if e["source"] == "mlflow"}
    churn_id, _ = mlflow_runs("churn-prediction")
    assert mlflow["churn-prediction"] == churn_id and "demand-forecast" in mlflow
    assert {"source": "training-jobs", "id": "all", "name": "All training jobs"} in body["experiments"]
    assert {"source": "legacy", "id": "churn-experiments", "name": "churn-experiments"} in body["experiments"]
    assert body["tracking"]["uri"] == mlflow_world.mlflow_url and body["tracking"]["origin"] == "config"
    assert f'mlflow.set_tracking_uri("{mlflow_world.mlflow_url}")' in body["tracking"]["snippet"]


async def test_runs_are_newest_first_with_params_and_latest_metrics(jp_fetch, openapi_validator, mlflow_runs):
    churn_id, expected = mlflow_runs("churn-prediction")
    body = await get_json(jp_fetch, "experiments", "mlflow", churn_id, "runs")
    openapi_validator.validate("get", f"/experiments/mlflow/{churn_id}/runs", 200, body)
    assert [r["id"] for r in body["runs"]] == [r.info.run_id for r in expected]  # MLflow's default: newest first
    starts = [r["start_time"] for r in body["runs"]]
    assert starts == sorted(starts, reverse=True)
    first, oracle = body["runs"][0], expected[0]
    assert first["params"] == oracle.data.params
    assert first["metrics"] == pytest.approx(oracle.data.metrics)
    assert first["status"] == "FINISHED" and first["tags"]["model_type"] == "logistic_regression"


@pytest.mark.parametrize("direction", ["DESC", "ASC"])
async def test_order_by_metric_both_ways_stars_the_best(jp_fetch, mlflow_runs, direction):
    churn_id, expected = mlflow_runs("churn-prediction", [f"metrics.val_accuracy {direction}"])
    body = await get_json(
        jp_fetch,
        "experiments",
        "mlflow",
        churn_id,
        "runs",
        params={"order_by": f"metrics.val_accuracy {direction}", "best_by": "metrics.val_loss ASC"},
    )
    assert [r["id"] for r in body["runs"]] == [r.info.run_id for r in expected]
    values = [r["metrics"]["val_accuracy"] for r in body["runs"]]
    assert values == sorted(values, reverse=direction == "DESC")
    best = min(body["runs"], key=lambda r: r["metrics"]["val_loss"])
    assert body["best_run_id"] == best["id"]
    assert body["order_by"] == f"metrics.`val_accuracy` {direction}"


async def test_order_by_param_with_a_filter(jp_fetch, mlflow_runs):
    churn_id, expected = mlflow_runs("churn-prediction", ["params.learning_rate ASC"], "params.batch_size != '0'")
    body = await get_json(
        jp_fetch,
        "experiments",
        "mlflow",
        churn_id,
        "runs",
        params={"order_by": "params.learning_rate ASC", "filter": "params.batch_size != '0'"},
    )
    assert [r["id"] for r in body["runs"]] == [r.info.run_id for r in expected]
    one = expected[0].data.params["batch_size"]
    narrowed = await get_json(
        jp_fetch, "experiments", "mlflow", churn_id, "runs", params={"filter": f"params.batch_size = '{one}'"}
    )
    assert narrowed["runs"] and {r["params"]["batch_size"] for r in narrowed["runs"]} == {one}


async def test_unknown_metric_is_a_400_naming_the_known_ones(jp_fetch, mlflow_runs):
    churn_id, _ = mlflow_runs("churn-prediction")
    body = await get_json(
        jp_fetch, "experiments", "mlflow", churn_id, "runs", params={"order_by": "metrics.f1 DESC"}, expect=400
    )
    assert body["code"] == "unknown_order_key"
    assert "'f1'" in body["message"] and "val_accuracy" in body["message"]
    param = await get_json(
        jp_fetch, "experiments", "mlflow", churn_id, "runs", params={"order_by": "params.optimizer ASC"}, expect=400
    )
    assert param["code"] == "unknown_order_key" and "learning_rate" in param["message"]


@pytest.mark.parametrize(
    "params, code",
    [
        ({"order_by": "metrics.acc; DROP"}, "invalid_order_by"),
        ({"order_by": "tags.x DESC"}, "invalid_order_by"),
        ({"order_by": "metrics.`a` b` DESC"}, "invalid_order_by"),
        ({"best_by": "start_time DESC"}, "invalid_best_by"),
        ({"limit": "0"}, "invalid_limit"),
        ({"limit": "many"}, "invalid_limit"),
        ({"filter": "metrics.val_loss >>> 1"}, "invalid_filter"),
        ({"page_token": "not-a-token"}, "invalid_page_token"),
    ],
)
async def test_bad_input_is_a_400_with_a_code(jp_fetch, mlflow_runs, params, code):
    churn_id, _ = mlflow_runs("churn-prediction")
    body = await get_json(jp_fetch, "experiments", "mlflow", churn_id, "runs", params=params, expect=400)
    assert body["code"] == code and set(body) == {"code", "message"}


@pytest.mark.parametrize(
    "path",
    [
        ("experiments", "nope", "1", "runs"),
        ("experiments", "mlflow", "424242", "runs"),
        ("experiments", "mlflow", "abc", "runs"),
        ("experiments", "mlflow", "1", "runs", "x%2Fy"),
        ("experiments", "mlflow", "0", "runs", "0123456789abcdef0123456789abcdef"),
        ("experiments", "training-jobs", "other", "runs"),
        ("experiments", "legacy", "no-such-experiment", "runs"),
    ],
)
async def test_unknown_source_experiment_or_run_is_404(jp_fetch, path):
    body = await get_json(jp_fetch, *path, expect=404)
    assert body["code"] == "not_found"


async def test_run_detail_checks_the_experiment(jp_fetch, openapi_validator, mlflow_runs):
    churn_id, runs = mlflow_runs("churn-prediction")
    demand_id, _ = mlflow_runs("demand-forecast")
    run_id = runs[0].info.run_id
    body = await get_json(jp_fetch, "experiments", "mlflow", churn_id, "runs", run_id)
    openapi_validator.validate("get", f"/experiments/mlflow/{churn_id}/runs/{run_id}", 200, body)
    assert body["run"]["id"] == run_id and body["run"]["params"] == runs[0].data.params
    assert (await get_json(jp_fetch, "experiments", "mlflow", demand_id, "runs", run_id, expect=404))[
        "code"
    ] == "not_found"


async def test_page_through_ten_thousand_runs_by_metric(jp_fetch, bulk_experiment_id):
    seen, values, token, pages = set(), [], None, 0
    while True:
        params = {"order_by": "metrics.val_accuracy DESC", "limit": "500"}
        if token:
            params["page_token"] = token
        body = await get_json(jp_fetch, "experiments", "mlflow", bulk_experiment_id, "runs", params=params)
        assert 0 < len(body["runs"]) <= 500
        seen.update(r["id"] for r in body["runs"])
        values.extend(r["metrics"]["val_accuracy"] for r in body["runs"])
        pages += 1
        token = body["next_page_token"]
        if not token:
            break
    assert len(seen) == BULK_RUNS and pages == BULK_RUNS // 500
    assert values == sorted(values, reverse=True)


async def test_compare_two_runs(jp_fetch, openapi_validator, mlflow_runs):
    churn_id, runs = mlflow_runs("churn-prediction")
    a, b = runs[0], runs[1]
    body = await get_json(
        jp_fetch, "experiments", "compare", params={"source": "mlflow", "runs": f"{a.info.run_id},{b.info.run_id}"}
    )
    openapi_validator.validate("get", "/experiments/compare", 200, body)
    assert [r["id"] for r in body["runs"]] == [a.info.run_id, b.info.run_id]
    for name in a.data.params:
        assert body["params"][name] == [a.data.params[name], b.data.params[name]]
    assert body["differing"] == sorted(k for k in a.data.params if a.data.params[k] != b.data.params[k])
    assert body["metrics"]["val_loss"] == pytest.approx([a.data.metrics["val_loss"], b.data.metrics["val_loss"]])
    assert body["metric_deltas"]["val_loss"] == pytest.approx(b.data.metrics["val_loss"] - a.data.metrics["val_loss"])


@pytest.mark.parametrize(
    "runs, status",
    [("only-one", 400), ("a,a", 400), ("0123456789abcdef0123456789abcdef,fedcba9876543210fedcba9876543210", 404)],
)
async def test_compare_bad_input(jp_fetch, runs, status):
    body = await get_json(jp_fetch, "experiments", "compare", params={"source": "mlflow", "runs": runs}, expect=status)
    assert body["code"] == ("invalid_runs" if status == 400 else "not_found")
    unknown = await get_json(jp_fetch, "experiments", "compare", params={"source": "wandb", "runs": runs}, expect=404)
    assert unknown["code"] == "not_found"


async def test_metric_history(jp_fetch, openapi_validator, mlflow_runs, mlflow_world):
    from mlflow.tracking import MlflowClient

    churn_id, runs = mlflow_runs("churn-prediction")
    run_id = runs[0].info.run_id
    expected = MlflowClient(mlflow_world.mlflow_url).get_metric_history(run_id, "val_loss")
    path = ("experiments", "mlflow", churn_id, "runs", run_id, "metric-history")
    body = await get_json(jp_fetch, *path, params={"key": "val_loss"})
    openapi_validator.validate("get", f"/experiments/mlflow/{churn_id}/runs/{run_id}/metric-history", 200, body)
    assert [p["step"] for p in body["points"]] == sorted(m.step for m in expected)
    by_step = sorted(expected, key=lambda m: m.step)
    assert [p["value"] for p in body["points"]] == pytest.approx([m.value for m in by_step])
    assert body["truncated"] is False
    assert (await get_json(jp_fetch, *path, params={"key": "f1"}, expect=404))["code"] == "not_found"
    assert (await get_json(jp_fetch, *path, expect=400))["code"] == "invalid_metric_key"


async def test_html_in_params_comes_back_as_plain_data(jp_fetch, html_run):
    body = await get_json(jp_fetch, "experiments", "mlflow", html_run["experiment_id"], "runs")
    (run,) = body["runs"]
    assert run["name"] == "<img src=x onerror=alert(1)>"
    assert run["params"]["note"] == "<b>bold</b> & <script>alert(1)</script>"


async def test_mlflow_ui_link_is_the_plain_url_for_a_plain_server(jp_fetch, mlflow_world, mlflow_runs):
    churn_id, runs = mlflow_runs("churn-prediction")
    body = await post_json(
        jp_fetch, "experiments", "mlflow-ui", body={"experiment_id": churn_id, "run_id": runs[0].info.run_id}
    )
    assert body == {
        "url": f"{mlflow_world.mlflow_url}/#/experiments/{churn_id}/runs/{runs[0].info.run_id}",
        "presigned": False,
    }


async def test_unauthenticated_requests_are_refused(jp_fetch):
    from tornado.httpclient import HTTPClientError

    for path in (("experiments",), ("experiments", "compare")):
        with pytest.raises(HTTPClientError) as err:
            await jp_fetch("studio-collab", *path, headers={"Authorization": ""})
        assert err.value.code == 403
