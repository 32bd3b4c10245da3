"""Serverless MLflow Apps as the experiments source (row E7): the domain's default App first, then the account's
default, then the tracking servers; calls signed as the sagemaker-mlflow plugin signs for an App (service
``sagemaker``, header ``x-sm-mlflow-app-arn``), through the endpoint override to the world's real MLflow."""

from __future__ import annotations

import re

from tests.experiments.conftest import get_json, post_json
from tests.experiments.sagemaker_mlflow_kit import _in_studio, proxy, studio_collab_config  # noqa: F401 (fixtures)

ROLE = "arn:aws:iam::123456789012:role/r"


def make_app(world, name: str, **defaults) -> str:
    sm = world.client("sagemaker")
    arn = sm.create_mlflow_app(Name=name, ArtifactStoreUri=f"s3://b/{name}", RoleArn=ROLE, **defaults)["Arn"]
    world.override("mlflow_app", {"Name": name}, {"Status": "Created", "_url": world.mlflow_url})
    return arn


async def test_account_default_app_comes_before_tracking_servers(jp_fetch, mlflow_world, proxy):
    account_default = make_app(mlflow_world, "account-app", AccountDefaultStatus="ENABLED")
    body = await get_json(jp_fetch, "experiments")
    assert body["tracking"]["uri"] == account_default and body["tracking"]["kind"] == "mlflow-app"


async def test_domain_default_app_is_the_source_and_calls_are_signed_for_it(jp_fetch, mlflow_world, proxy):
    make_app(mlflow_world, "account-app", AccountDefaultStatus="ENABLED")
    domain_app = make_app(mlflow_world, "team-app", DefaultDomainIdList=[mlflow_world.domain_id])
    body = await get_json(jp_fetch, "experiments")
    assert body["tracking"]["uri"] == domain_app
    assert (body["tracking"]["kind"], body["tracking"]["origin"]) == ("mlflow-app", "studio")
    assert f'mlflow.set_tracking_uri("{domain_app}")' in body["tracking"]["snippet"]
    assert any(e["name"] == "churn-prediction" for e in body["experiments"] if e["source"] == "mlflow")
    assert proxy.requests
    for request in proxy.requests:
        assert request.headers["x-sm-mlflow-app-arn"] == domain_app
        assert re.fullmatch(
            r"AWS4-HMAC-SHA256 Credential=testing/\d{8}/us-east-1/sagemaker/aws4_request, "
            r"SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}",
            request.headers["authorization"],
        )
    assert mlflow_world.calls().get("sagemaker:ListMlflowTrackingServers", 0) == 0
    ui = await post_json(jp_fetch, "experiments", "mlflow-ui", body={})
    assert ui["presigned"] is True and mlflow_world.calls()["sagemaker:CreatePresignedMlflowAppUrl"] == 1


async def test_without_apps_the_tracking_server_is_used(jp_fetch, mlflow_world, proxy):
    body = await get_json(jp_fetch, "experiments")
    assert body["tracking"]["kind"] == "mlflow-tracking-server"
    calls = mlflow_world.calls()
    assert calls.get("sagemaker:ListMlflowApps") == 2  # the domain's default, then the account's
    assert calls.get("sagemaker:ListMlflowTrackingServers", 0) >= 1
