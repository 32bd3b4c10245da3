"""A SageMaker MLflow tracking server: found in Studio, reached by SigV4-signed REST calls, opened presigned.

The world's emulator lists the scenario's tracking server (team-mlflow); the endpoint override sends the signed
calls through a recording proxy to the world's real MLflow server, so the test sees exactly what SageMaker's
endpoint would receive and can check each signature with botocore.
"""

from __future__ import annotations

import json
import re

import pytest
from tornado.httpclient import HTTPClientError

from tests.experiments.conftest import get_json, post_json
from tests.experiments.sagemaker_mlflow_kit import _in_studio, proxy, studio_collab_config  # noqa: F401 (fixtures)

ARN = "arn:aws:sagemaker:us-east-1:{account}:mlflow-tracking-server/team-mlflow"


def tracking_arn(world) -> str:
    servers = world.client("sagemaker").list_mlflow_tracking_servers()["TrackingServerSummaries"]
    (server,) = [s for s in servers if s["TrackingServerName"] == "team-mlflow"]
    return server["TrackingServerArn"]


def assert_signed(request, proxy, arn: str) -> None:
    """The request carries the ARN header and a SigV4 signature that botocore computes the same way."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    headers = request.headers
    assert headers["x-mlflow-sm-tracking-server-arn"] == arn
    match = re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=testing/(\d{8})/us-east-1/sagemaker-mlflow/aws4_request, "
        r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})",
        headers["authorization"],
    )
    assert match, headers["authorization"]
    signed = match[2].split(";")
    assert {"host", "x-amz-date", "x-mlflow-sm-tracking-server-arn", "content-type"} <= set(signed)
    url = proxy.url + request.path + (f"?{request.query}" if request.query else "")
    replay = AWSRequest(method=request.method, url=url, data=request.body, headers={h: headers[h] for h in signed})
    replay.context["timestamp"] = headers["x-amz-date"]
    auth = SigV4Auth(Credentials("testing", "testing"), "sagemaker-mlflow", "us-east-1")
    string_to_sign = auth.string_to_sign(replay, auth.canonical_request(replay))
    assert auth.signature(string_to_sign, replay) == match[3]


async def test_active_tracking_server_is_found_and_every_call_is_signed(
    jp_fetch, openapi_validator, proxy, mlflow_world
):
    arn = tracking_arn(mlflow_world)
    body = await get_json(jp_fetch, "experiments")
    openapi_validator.validate("get", "/experiments", 200, body)
    assert {s["name"]: s["available"] for s in body["sources"]}["mlflow"] is True
    assert body["tracking"]["uri"] == arn
    assert body["tracking"]["kind"] == "mlflow-tracking-server" and body["tracking"]["origin"] == "studio"
    assert f'mlflow.set_tracking_uri("{arn}")' in body["tracking"]["snippet"]
    assert "sagemaker-mlflow" in body["tracking"]["snippet"]
    churn = next(e for e in body["experiments"] if e["source"] == "mlflow" and e["name"] == "churn-prediction")

    page = await get_json(
        jp_fetch,
        "experiments",
        "mlflow",
        churn["id"],
        "runs",
        params={"order_by": "metrics.val_accuracy DESC", "limit": "3"},
    )
    values = [r["metrics"]["val_accuracy"] for r in page["runs"]]
    assert len(values) == 3 and values == sorted(values, reverse=True)
    run_id = page["runs"][0]["id"]
    history = await get_json(
        jp_fetch, "experiments", "mlflow", churn["id"], "runs", run_id, "metric-history", params={"key": "val_loss"}
    )
    assert history["points"]

    paths = {r.path for r in proxy.requests}
    assert {
        "/api/2.0/mlflow/experiments/search",
        "/api/2.0/mlflow/runs/search",
        "/api/2.0/mlflow/runs/get",
        "/api/2.0/mlflow/metrics/get-history",
    } <= paths
    for request in proxy.requests:  # POSTs with bodies and GETs with query strings alike
        assert_signed(request, proxy, arn)
    assert mlflow_world.calls().get("sagemaker:ListMlflowTrackingServers", 0) >= 1


async def test_open_mlflow_ui_is_presigned_and_made_per_click(jp_fetch, mlflow_world):
    first = await post_json(jp_fetch, "experiments", "mlflow-ui", body={})
    second = await post_json(jp_fetch, "experiments", "mlflow-ui", body={})
    assert first["presigned"] is True
    assert first["url"].startswith(mlflow_world.mlflow_url) and "authToken=" in first["url"]
    assert first["url"] != second["url"]  # single-use links are never cached
    assert mlflow_world.calls()["sagemaker:CreatePresignedMlflowTrackingServerUrl"] == 2


async def test_no_active_tracking_server_makes_mlflow_unavailable_with_the_reason(jp_fetch, mlflow_world, proxy):
    mlflow_world.override(
        "tracking_server",
        {"TrackingServerName": "team-mlflow"},
        {"TrackingServerStatus": "Stopped", "IsActive": "Inactive"},
    )
    body = await get_json(jp_fetch, "experiments")
    mlflow = next(s for s in body["sources"] if s["name"] == "mlflow")
    assert mlflow["available"] is False and "no active SageMaker MLflow tracking server" in mlflow["reason"]
    assert body["tracking"] is None
    assert {s["name"]: s["available"] for s in body["sources"]}["training-jobs"] is True
    assert proxy.requests == []
    ui = await post_json(jp_fetch, "experiments", "mlflow-ui", body={}, expect=409)
    assert ui["code"] == "mlflow_not_configured"


@pytest.mark.parametrize("studio_collab_config", [{"mlflow_tracking_uri": "file:///home/sagemaker-user/mlruns"}])
async def test_a_file_store_uri_is_explained(jp_fetch, studio_collab_config):
    # A file store cannot be read from the server: the option is refused at load (nothing starts half-configured),
    # and the answer names the option and what to use instead.
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("studio-collab", "experiments")
    body = json.loads(refused.value.response.body)
    assert refused.value.code == 503 and body["code"] == "feature_config_refused"
    assert "StudioCollabApp.mlflow_tracking_uri" in body["message"] and "mlflow server" in body["message"]
    status = json.loads((await jp_fetch("studio-collab", "status")).body)
    assert "StudioCollabApp.mlflow_tracking_uri" in status["features"]["experiments"]["reason"]
