"""GET cost and POST cost/stop against the local Studio world (the emulator seeded with a scenario)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from tornado.httpclient import HTTPClientError

pytestmark = pytest.mark.world

TTL = 0.5


@pytest.fixture
def studio_collab_config():
    # Every kind may be stopped here, to test each stop's mechanics; who may stop what, and the default
    # (Studio apps only), are tested in tests/identity/test_stop_matrix.py.
    return {
        "cost_cache_ttl_seconds": TTL,
        "cost_stop_kinds": ["app", "notebook_instance", "mlflow_tracking_server", "mlflow_app"],
    }


async def get_cost(jp_fetch, scope: str = "domain") -> dict:
    return json.loads((await jp_fetch("studio-collab", "cost", params={"scope": scope})).body)


async def stop(jp_fetch, kind: str, name: str) -> dict:
    return json.loads(
        (
            await jp_fetch(
                "studio-collab", "cost", "stop", method="POST", body=json.dumps({"kind": kind, "name": name})
            )
        ).body
    )


async def refused(call) -> tuple[int, dict]:
    with pytest.raises(HTTPClientError) as err:
        await call
    return err.value.code, json.loads(err.value.response.body)


def rows_by_name(answer: dict) -> dict:
    return {r["name"]: r for r in answer["resources"]}


async def test_demo_inventory_prices_and_burn(world_env, jp_fetch, openapi_validator):
    answer = await get_cost(jp_fetch)
    openapi_validator.validate("get", "/cost?scope=domain", 200, answer)
    assert answer["available"] is True and answer["stale"] is False and answer["errors"] == []
    rows = rows_by_name(answer)
    # Deleted apps, the stopped notebook instance and finished jobs (no warm pool) are not running; the
    # forgotten kinds (an inference component, an MLflow App, a scheduled notebook job) are listed too.
    assert set(rows) == {
        "alice-space/JupyterLab/default",
        "team-space/JupyterLab/default",
        "bob-space/JupyterLab/default",
        "legacy-analysis",
        "churn-model-prod",
        "churn-xgb-2026-11-26",
        "team-mlflow",
        "churn-model-canary",
        "bob-sandbox",
        "nightly-churn-report",
    }
    mine = rows["alice-space/JupyterLab/default"]
    assert mine["this_app"] is True and mine["mine"] is True and mine["owner"] == "alice"
    assert (mine["instance_type"], mine["hourly_price"], mine["price_basis"], mine["price_estimate"]) == (
        "ml.t3.medium",
        0.05,
        "component",
        False,
    )
    assert mine["accrued"] == pytest.approx(2.5 * 0.05, rel=0.05)
    assert mine["arn"] == world_env.resource_metadata()["ResourceArn"]
    assert rows["bob-space/JupyterLab/default"]["hourly_price"] == 0.7364
    assert rows["bob-space/JupyterLab/default"]["can_stop"] is False
    endpoint = rows["churn-model-prod"]
    assert (endpoint["count"], endpoint["instance_type"], endpoint["hourly_price"]) == (2, "ml.m5.large", 0.23)
    assert rows["churn-xgb-2026-11-26"]["hourly_price"] == 0.736
    # An account-level notebook instance whose owner the table does not know: offered, and the server reads its
    # tag when asked (tests/identity/test_stop_matrix.py).
    assert rows["legacy-analysis"]["hourly_price"] == 0.05 and rows["legacy-analysis"]["can_stop"] is True
    mlflow = rows["team-mlflow"]
    assert mlflow["hourly_price"] is None and mlflow["accrued"] is None and mlflow["price_basis"] == "none"
    assert answer["unpriced"] == 1
    burn = 0.05 + 0.23 + 0.7364 + 0.05 + 0.23 + 0.736
    assert answer["burn_rate_per_hour"] == pytest.approx(burn)
    assert answer["forecast"] == {"day": round(burn * 24, 2), "month": round(burn * 730, 2)}
    assert [r["mine"] for r in answer["resources"]][:2] == [True, True]  # mine first
    by_kind = {k["kind"]: k for k in answer["by_kind"]}
    assert by_kind["app"]["count"] == 3 and by_kind["mlflow_tracking_server"]["unpriced"] == 1


async def test_mine_is_what_the_viewer_owns(world_env, jp_fetch, openapi_validator):
    answer = await get_cost(jp_fetch, "mine")
    openapi_validator.validate("get", "/cost?scope=mine", 200, answer)
    assert answer["viewer"] == "alice"
    assert {r["name"] for r in answer["resources"]} == {
        "alice-space/JupyterLab/default",
        "team-space/JupyterLab/default",
        "nightly-churn-report",
    }
    assert answer["burn_rate_per_hour"] == pytest.approx(0.28)


async def test_twenty_pollers_make_one_round_of_aws_calls(world_env, jp_fetch):
    await get_cost(jp_fetch)
    one_round = world_env.calls()
    await asyncio.sleep(TTL + 0.1)
    world_env.clear_calls()
    answers = await asyncio.gather(*(get_cost(jp_fetch, "domain" if i % 2 else "mine") for i in range(20)))
    twenty = world_env.calls()
    assert all(a["available"] for a in answers)
    assert sum(twenty.values()) <= 1.2 * sum(one_round.values()), (one_round, twenty)
    assert twenty.get("sagemaker:ListApps") == 1


async def test_access_denied_on_one_list_names_the_permission(world_env, jp_fetch):
    world_env.fault("sagemaker:ListNotebookInstances", "access_denied")
    answer = await get_cost(jp_fetch)
    assert answer["stale"] is False
    assert [e["kind"] for e in answer["errors"]] == ["notebook_instance"]
    error = answer["errors"][0]
    assert error["code"] == "aws_access_denied"
    assert "No permission to list notebook instances (sagemaker:ListNotebookInstances)" in error["message"]
    kinds = {r["kind"] for r in answer["resources"]}
    assert "notebook_instance" not in kinds and {"app", "endpoint", "training_job"} <= kinds


async def test_access_denied_on_describe_keeps_the_rows(world_env, jp_fetch):
    world_env.fault("sagemaker:DescribeEndpointConfig", "access_denied")
    answer = await get_cost(jp_fetch)
    rows = rows_by_name(answer)
    assert rows["churn-model-prod"]["instance_type"] is None and rows["churn-model-prod"]["hourly_price"] is None
    note = "Instance types unknown: no permission for sagemaker:DescribeEndpointConfig."
    assert {"kind": "endpoint", "code": "partial", "stale": False, "message": note} in answer["errors"]


async def test_without_search_lists_and_describes(world_env, jp_fetch):
    world_env.fault("sagemaker:Search", "access_denied")
    rows = rows_by_name(await get_cost(jp_fetch))
    assert (rows["churn-model-prod"]["count"], rows["churn-model-prod"]["instance_type"]) == (2, "ml.m5.large")
    assert rows["churn-xgb-2026-11-26"]["instance_type"] == "ml.g4dn.xlarge"
    calls = world_env.calls()
    assert calls["sagemaker:DescribeEndpoint"] == 1 and calls["sagemaker:DescribeTrainingJob"] == 1


async def test_throttled_kind_keeps_its_last_good_rows(world_env, jp_fetch):
    fresh = await get_cost(jp_fetch)
    world_env.fault("sagemaker:ListNotebookInstances", "throttle")
    await asyncio.sleep(TTL + 0.1)
    answer = await get_cost(jp_fetch)
    assert answer["stale"] is True and answer["stale_kinds"] == ["notebook_instance"]
    assert "throttling" in answer["reason"]
    kept, before = rows_by_name(answer)["legacy-analysis"], rows_by_name(fresh)["legacy-analysis"]
    assert kept == before | {"accrued": kept["accrued"]} and kept["accrued"] >= before["accrued"]
    world_env.clear_faults()
    await asyncio.sleep(TTL + 0.1)
    assert (await get_cost(jp_fetch))["stale"] is False


@pytest.mark.parametrize("fault", ["throttle", "error500"])
async def test_aws_down_serves_the_last_good_inventory(world_env, jp_fetch, fault):
    fresh = await get_cost(jp_fetch)
    world_env.fault("sagemaker:*", fault)
    await asyncio.sleep(TTL + 0.1)
    answer = await get_cost(jp_fetch)
    assert answer["stale"] is True and answer["reason"]
    assert set(rows_by_name(answer)) == set(rows_by_name(fresh))
    # While AWS fails, tabs keep polling but AWS is asked again only once per TTL.
    world_env.clear_calls()
    await asyncio.gather(*(get_cost(jp_fetch) for _ in range(10)))
    assert sum(world_env.calls().values()) <= 1


async def test_aws_down_before_any_answer_is_an_error(world_env, jp_fetch):
    world_env.fault("sagemaker:*", "throttle")
    code, body = await refused(get_cost(jp_fetch))
    assert code == 503 and body["code"] == "aws_throttled"


async def test_slow_aws_still_answers(world_env, jp_fetch):
    world_env.fault("sagemaker:ListApps", "latency", latency_ms=300)
    answer = await get_cost(jp_fetch)
    assert answer["stale"] is False and "alice-space/JupyterLab/default" in rows_by_name(answer)


async def test_stop_my_app_deletes_it_and_logs_who(world_env, jp_fetch, caplog, openapi_validator):
    caplog.set_level(logging.INFO, logger="studio_collab.cost.stop")
    await get_cost(jp_fetch)
    answer = await stop(jp_fetch, "app", "team-space/JupyterLab/default")
    openapi_validator.validate("post", "/cost/stop", 200, answer)
    assert answer["action"] == "DeleteApp" and answer["requested_by"] == "alice"
    assert world_env.calls().get("sagemaker:DeleteApp") == 1
    assert "team-space/JupyterLab/default" not in rows_by_name(await get_cost(jp_fetch))
    assert any("alice stopped app team-space/JupyterLab/default" in r.getMessage() for r in caplog.records)


async def test_stop_someone_elses_app_is_refused(world_env, jp_fetch):
    code, body = await refused(stop(jp_fetch, "app", "bob-space/JupyterLab/default"))
    assert code == 403 and body["code"] == "not_owner" and "bob" in body["message"]
    assert "sagemaker:DeleteApp" not in world_env.calls()


async def test_stop_notebook_instance_and_mlflow_server(world_env, jp_fetch):
    world_env.tag_created_by("legacy-analysis", "alice")
    assert (await stop(jp_fetch, "notebook_instance", "legacy-analysis"))["action"] == "StopNotebookInstance"
    status = world_env.client("sagemaker").describe_notebook_instance(NotebookInstanceName="legacy-analysis")
    assert status["NotebookInstanceStatus"] in {"Stopping", "Stopped"}
    assert (await stop(jp_fetch, "mlflow_tracking_server", "team-mlflow"))["action"] == "StopMlflowTrackingServer"
    server = world_env.client("sagemaker").describe_mlflow_tracking_server(TrackingServerName="team-mlflow")
    assert server["TrackingServerStatus"] in {"Stopping", "Stopped"}
    names = rows_by_name(await get_cost(jp_fetch))
    assert "legacy-analysis" not in names and "team-mlflow" not in names


@pytest.mark.parametrize(
    "kind,name",
    [
        ("notebook_instance", "no-such-notebook"),
        ("app", "nope/JupyterLab/default"),
        ("mlflow_tracking_server", "no-such-server"),
    ],
)
async def test_stop_what_does_not_exist_is_404(world_env, jp_fetch, kind, name):
    code, body = await refused(stop(jp_fetch, kind, name))
    assert code == 404 and body["code"] == "not_found"


async def test_stop_what_is_not_running_is_409(world_env, jp_fetch):
    code, body = await refused(stop(jp_fetch, "notebook_instance", "old-experiments"))
    assert code == 409 and body["code"] == "not_running"
    await stop(jp_fetch, "mlflow_tracking_server", "team-mlflow")
    world_env.settings(transition_seconds=0)
    code, body = await refused(stop(jp_fetch, "mlflow_tracking_server", "team-mlflow"))
    assert code == 409 and body["code"] == "not_running"
    assert world_env.calls().get("sagemaker:StopNotebookInstance", 0) == 0


async def test_stop_without_permission_names_it(world_env, jp_fetch):
    world_env.tag_created_by("legacy-analysis", "alice")
    world_env.fault("sagemaker:StopNotebookInstance", "access_denied")
    code, body = await refused(stop(jp_fetch, "notebook_instance", "legacy-analysis"))
    assert code == 403 and body["code"] == "aws_access_denied"
    assert "sagemaker:StopNotebookInstance" in body["message"]


@pytest.mark.world_scenario("manual")
@pytest.mark.world_space("dana-space")
async def test_manual_scenario_inventory(world_env, jp_fetch):
    answer = await get_cost(jp_fetch, "mine")
    rows = rows_by_name(answer)
    assert answer["viewer"] == "dana"
    assert set(rows) == {"dana-space/JupyterLab/default", "risk-team/JupyterLab/default"}
    assert rows["risk-team/JupyterLab/default"]["instance_type"] == "ml.m5.2xlarge"
    # No component figure for JupyterLab m5.2xlarge in us-east-1: the Studio Classic rate, marked an estimate.
    assert rows["risk-team/JupyterLab/default"]["price_basis"] == "studio_classic_table"
    assert rows["risk-team/JupyterLab/default"]["price_estimate"] is True
    domain = rows_by_name(await get_cost(jp_fetch))
    assert domain["platform-mlflow"]["instance_type"] == "Medium"


async def test_answer_is_gzipped_for_clients_that_accept_it(world_env, jp_fetch):
    import gzip

    plain = await jp_fetch("studio-collab", "cost", decompress_response=False, headers={"Accept-Encoding": "identity"})
    packed = await jp_fetch("studio-collab", "cost", decompress_response=False, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers and packed.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.body)) == json.loads(plain.body)  # the same rendered answer
