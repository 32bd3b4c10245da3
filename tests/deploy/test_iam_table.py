"""Row P3: drive every feature's routes against the local Studio world and judge the AWS calls really made
against the policy `studio-collab iam-policy` generates for that configuration: a call the policy does not allow
(action, or resource: the secret, the app's domain, the stopped instance) would be denied in a real domain; an
action the policy grants that nothing calls is a privilege too many.

The truth is outside the product: the world's journal of the operations that reached it (S3 transfers included),
mapped to IAM actions by AWS's Service Authorization Reference (``AUTHORIZED_BY`` below, written from it, not
the product's table), and a recording proxy in front of MLflow (a SageMaker tracking server authorizes its REST
API as ``sagemaker-mlflow:<Action>``).
"""

from __future__ import annotations

import asyncio
import json
import time

import nbformat
import pytest
from tornado.httpclient import HTTPClientError

from studio_collab.deploy.iam import MLFLOW_REST_ACTIONS, PolicyScope, policy
from tests.deploy.test_iam_policy import allows
from tests.experiments.mlflow_proxy import RecordingProxy
from tests.helpers import until

pytestmark = pytest.mark.world

# Actions of the table that the local world cannot exercise, and why.
NOT_IN_THE_WORLD = {
    "sagemaker:CreatePresignedMlflowAppUrl": "the world has MLflow tracking servers, no serverless MLflow Apps",
}
# Operations the emulator counts for the world's own bookkeeping, not the product's.
WORLD_ONLY = {"s3:ListBuckets"}
ACCOUNT = "123456789012"  # the emulator's account
# API operations whose IAM action has another name. From the Service Authorization Reference, "Actions defined by
# Amazon S3" (each action's API column): HEAD and list calls are authorized as the object/bucket read, a multipart
# upload as s3:PutObject, a batch delete as s3:DeleteObject. Every other operation here is its own action.
AUTHORIZED_BY = {
    "s3:HeadObject": {"s3:GetObject"},
    "s3:HeadBucket": {"s3:ListBucket"},
    "s3:ListObjects": {"s3:ListBucket"},
    "s3:ListObjectsV2": {"s3:ListBucket"},
    "s3:DeleteObjects": {"s3:DeleteObject"},
    "s3:CopyObject": {"s3:GetObject", "s3:PutObject"},
    "s3:CreateMultipartUpload": {"s3:PutObject"},
    "s3:UploadPart": {"s3:PutObject"},
    "s3:CompleteMultipartUpload": {"s3:PutObject"},
}


def authorizing_actions(operations) -> set[str]:
    return {action for operation in operations for action in AUTHORIZED_BY.get(operation, {operation})}


# The kinds the test's admin lets users stop: all the world has, so every Stop the product makes is judged.
STOP_KINDS = ["app", "notebook_instance", "mlflow_tracking_server"]


def world_policy(world, config: dict) -> dict:
    notebooks = [
        n["NotebookInstanceName"] for n in world.client("sagemaker").list_notebook_instances()["NotebookInstances"]
    ]
    # Tracking servers: allowed by tag condition (the world does not evaluate IAM conditions; the action and the
    # ARN pattern are still judged here).
    scope = PolicyScope(
        domain=world.domain_id,
        region=world.region,
        account=ACCOUNT,
        notebook_instances=tuple(notebooks),
        stop_tag="team=ml",
    )
    return policy({**config, "cost_stop_kinds": STOP_KINDS}, scope)


def resource_of(world, operation: str, params: dict) -> str | None:
    """The ARN a scoped call acts on, built from its parameters as AWS documents the ARN formats."""
    sagemaker = f"arn:aws:sagemaker:{world.region}:{ACCOUNT}:"
    if operation == "sagemaker:DeleteApp":
        owner = params.get("SpaceName") or params.get("UserProfileName")
        return f"{sagemaker}app/{params['DomainId']}/{owner}/{params['AppType'].lower()}/{params['AppName']}"
    if operation == "sagemaker:StopNotebookInstance":
        return f"{sagemaker}notebook-instance/{params['NotebookInstanceName'].lower()}"
    if operation == "sagemaker:StopMlflowTrackingServer":
        return f"{sagemaker}mlflow-tracking-server/{params['TrackingServerName']}"
    if operation == "sagemaker:DescribeDomain":
        return f"{sagemaker}domain/{params['DomainId']}"
    if operation == "sagemaker:DescribeSpace":
        return f"{sagemaker}space/{params['DomainId']}/{params['SpaceName']}"
    if operation == "sagemaker:DescribeUserProfile":
        return f"{sagemaker}user-profile/{params['DomainId']}/{params['UserProfileName']}"
    if operation == "secretsmanager:GetSecretValue":  # the secret's real ARN, from the world's Secrets Manager
        return world.client("secretsmanager").describe_secret(SecretId=params["SecretId"])["ARN"]
    return None


@pytest.fixture
def proxy(mlflow_world):
    proxy = RecordingProxy(mlflow_world.mlflow_url).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def studio_collab_config(world_env, proxy):
    return {
        "share_store": "s3",
        "share_s3_bucket": world_env.scenario.section("s3_buckets")[0],
        "repositories": [
            {"url": world_env.repo_url("feature-store"), "credentials_secret": "studio-collab/git/feature-store"}
        ],
        "git_ca_bundle": str(world_env.ca_bundle),
        "git_fetch_interval_seconds": 0,
        "mlflow_endpoint_url": proxy.url,
        "cost_explorer_enabled": True,
        "price_refresh": True,
        "cost_stop_kinds": ["app", "notebook_instance", "mlflow_tracking_server"],  # every Stop, to call each
        "cost_cache_ttl_seconds": 0.0,
        "experiments_cache_ttl_seconds": 0.0,
    }


class Driver:
    def __init__(self, jp_fetch):
        self.fetch = jp_fetch

    async def json(self, method: str, *path: str, body=None, params=None, ok=(200, 201, 202)):
        try:
            response = await self.fetch(
                "studio-collab",
                *path,
                method=method,
                params=params,
                body=json.dumps(body if body is not None else {}) if method in ("POST", "PUT") else None,
            )
        except HTTPClientError as err:
            assert err.code in ok, f"{method} {'/'.join(path)}: {err.code} {err.response.body[:500]!r}"
            return err.code, json.loads(err.response.body or b"{}")
        return response.code, json.loads(response.body or b"{}")

    async def finish(self, job: dict, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while job["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, f"job {job['kind']} did not finish: {job}"
            await asyncio.sleep(0.2)
            _, answer = await self.json("GET", "jobs", job["id"])
            job = answer["job"]
        return job


async def drive_git(d: Driver) -> None:
    _, listing = await d.json("GET", "repos")
    repo = next(r for r in listing["repos"] if r["source"] == "config")  # the private one: token from Secrets Manager
    _, answer = await d.json("POST", "repos", repo["id"], "clone")
    assert (await d.finish(answer["job"]))["state"] == "succeeded"
    _, answer = await d.json("POST", "repos", repo["id"], "sync")
    assert (await d.finish(answer["job"]))["state"] == "succeeded"


async def drive_share(d: Driver, root) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("print(1)"))
    nbformat.write(notebook, str(root / "iam.ipynb"))
    await d.json("GET", "spaces")
    code, body = await d.json(
        "POST",
        "shares",
        body={"path": "iam.ipynb", "target_space": "team-space", "include_outputs": False, "expires_in_days": 1},
    )
    share = body["share"] if "share" in body else (await d.finish(body["job"]))["result"]["share"]
    await d.json("GET", "shares")
    await d.fetch("studio-collab", "import", params={"share": share["id"]})
    await d.json("POST", "shares", share["id"], "import", body={}, ok=(200, 201, 409))
    await d.json("DELETE", "shares", share["id"], ok=(200, 204))


async def drive_experiments(d: Driver) -> None:
    _, overview = await d.json("GET", "experiments")
    assert all(s["available"] for s in overview["sources"]), overview["sources"]
    detailed = set()
    for experiment in overview["experiments"]:  # an empty one too: its runs page then looks the experiment up
        source = experiment["source"]
        _, runs = await d.json("GET", "experiments", source, experiment["id"], "runs")
        if not runs["runs"] or source in detailed:
            continue
        detailed.add(source)
        run = runs["runs"][0]
        await d.json("GET", "experiments", source, experiment["id"], "runs", run["id"])
        if run.get("metrics"):
            await d.json(
                "GET",
                "experiments",
                source,
                experiment["id"],
                "runs",
                run["id"],
                "metric-history",
                params={"key": next(iter(run["metrics"]))},
                ok=(200, 404),
            )
        if len(runs["runs"]) > 1:
            ids = ",".join(r["id"] for r in runs["runs"][:2])
            await d.json("GET", "experiments", "compare", params={"source": source, "runs": ids})
    await d.json("POST", "experiments", "mlflow-ui", body={})


async def drive_cost(d: Driver, world) -> None:
    _, cost = await d.json("GET", "cost")
    assert cost["available"], cost
    await d.json("GET", "cost", "spend")
    await d.json("GET", "idle")
    await d.json("POST", "idle", "keep-alive", body={})
    await d.json("POST", "idle", "timeout", body={"minutes": 120})  # alice owns alice-space: UpdateSpace
    await d.json("GET", "domain")
    kinds = {}
    for row in cost["resources"]:
        if row.get("can_stop"):
            kinds.setdefault(row["kind"], row["name"])
    assert set(kinds) == {"notebook_instance", "app", "mlflow_tracking_server"}, cost["resources"]
    for kind, name in kinds.items():
        await d.json("POST", "cost", "stop", body={"kind": kind, "name": name})


def arrange_work_the_demo_lacks(world) -> None:
    """Running batch work and a legacy trial component: the demo has none, and the features only describe what
    runs (or exists)."""
    world.start_batch_work("iam")
    world.tag_created_by("legacy-analysis", "alice")  # a notebook instance alice may stop
    sm = world.client("sagemaker")
    sm.create_trial_component(TrialComponentName="iam-baseline-eval", DisplayName="baseline evaluation")
    sm.associate_trial_component(TrialComponentName="iam-baseline-eval", TrialName="baseline")


async def test_every_call_is_granted_by_the_generated_policy(
    world_env, proxy, jp_fetch, jp_serverapp, jp_root_dir, studio_collab_config
):
    # what the server called at start (the world was reset before it started): the catalog, the price refresh...
    # The price refresh runs in the background after start: its GetProducts is awaited here, before the test's own
    # arrangements and the clear below, so it can never land between the two reads of the journal.
    await until(
        lambda: "pricing:GetProducts" in {e["operation"] for e in world_env.control.journal()},
        what="the price refresh's GetProducts",
    )
    at_start = world_env.control.journal()
    arrange_work_the_demo_lacks(world_env)
    world_env.clear_calls()  # from here on the emulator counts the product's calls only
    app = next(iter(jp_serverapp.extension_manager.extension_apps["studio_collab"]))
    d = Driver(jp_fetch)
    await d.json("GET", "status")
    for name in ("git", "share", "experiments", "cost"):
        assert name in app.core.features(), f"feature {name} is not in this version"
    await drive_git(d)
    await drive_share(d, jp_root_dir)
    await drive_experiments(d)
    await drive_cost(d, world_env)  # last: it stops the tracking server the experiments read

    mlflow = {
        MLFLOW_REST_ACTIONS.get(r.path.split("/api/2.0/mlflow/", 1)[-1], f"unknown MLflow {r.path}")
        for r in proxy.requests
        if "/api/2.0/mlflow/" in r.path
    }
    journal = at_start + world_env.control.journal()
    called = authorizing_actions({e["operation"] for e in journal} - WORLD_ONLY) | mlflow
    document = world_policy(world_env, studio_collab_config)
    granted = {a for s in document["Statement"] for a in s["Action"]}

    denied = sorted(called - granted)
    assert denied == [], f"called but not granted by the generated policy (a real domain would deny them): {denied}"
    unused = sorted(granted - called - set(NOT_IN_THE_WORLD))
    assert unused == [], f"granted by the policy but never called while every route was used: {unused}"
    # and each scoped call acts on a resource the policy names
    judged = set()
    for entry in journal:
        operation = entry["operation"]
        arn = resource_of(world_env, operation, entry.get("params") or {})
        if arn is not None:
            judged.add(operation)
            assert allows(document, operation, arn), f"{operation} on {arn} is not allowed by the policy"
    assert {
        "sagemaker:DeleteApp",
        "sagemaker:StopNotebookInstance",
        "sagemaker:StopMlflowTrackingServer",
        "secretsmanager:GetSecretValue",
        "sagemaker:DescribeDomain",
    } <= judged, judged


async def test_without_search_the_fallback_stays_within_the_policy_and_fallbacks(
    world_env, proxy, jp_fetch, studio_collab_config
):
    """The cost feature falls back to List/Describe when Search is denied: those calls are listed in
    FALLBACK_ACTIONS, and every other call is granted by the policy."""
    from studio_collab.deploy.iam import FALLBACK_ACTIONS

    world_env.fault("sagemaker:Search", "access_denied")
    world_env.clear_calls()
    _, cost = await Driver(jp_fetch).json("GET", "cost")
    assert cost["available"] and any(r["kind"] == "endpoint" for r in cost["resources"]), cost
    called = authorizing_actions(set(world_env.calls()) - WORLD_ONLY)
    document = world_policy(world_env, studio_collab_config)
    granted = {a for s in document["Statement"] for a in s["Action"]}
    assert sorted(called - granted - set(FALLBACK_ACTIONS) - {"sagemaker:Search"}) == []
    assert set(FALLBACK_ACTIONS) <= called
