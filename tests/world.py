"""pytest fixtures for the local Studio world (loaded by tests/conftest.py as the plugin ``tests.world``).

- ``local_world`` (session): the emulator and HTTPS git server, started once, seeded with the ``demo`` scenario.
- ``world`` (per test): the emulator reset to the scenario (``@pytest.mark.world_scenario("manual")`` picks
  another), no faults, no recorded calls, git faults cleared. See :class:`WorldHandle` for what it offers.
- ``world_env`` (per test): the environment the product runs in, inside the scenario's lab space
  (``@pytest.mark.world_space("team-space")`` picks another): AWS endpoint + dummy credentials + region,
  ``GIT_SSL_CAINFO`` and ``XDG_CONFIG_HOME`` (git reaches the catalog's port-less URLs, see ``LocalWorld.git_env``),
  ``STUDIO_COLLAB_RESOURCE_METADATA``, ``SAGEMAKER_SPACE_TYPE_LOWERCASE``. Request it
  before ``jp_fetch``.
- ``mlflow_world`` (per test): ``world`` plus the real MLflow server (started on first use, ~6 s, seeded by the
  training script) with ``SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT`` set to it.
- Without ``mlflow_world`` (and before anything started MLflow), the ``local`` tracking servers and
  ``SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT`` point at a loopback address that refuses connections: what a test sees never
  depends on whether an earlier test started MLflow, and the product never targets a real regional endpoint.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from studio_world.local_world import LocalWorld
from studio_world.scenario import Scenario, load_scenario

_SCENARIOS: dict[str, Scenario] = {}


def pytest_configure(config):
    config.addinivalue_line("markers", "world_scenario(name): seed the world fixture with this scenario")
    config.addinivalue_line("markers", "world_space(name): the space world_env puts the product in")


def _scenario(name: str) -> Scenario:
    if name not in _SCENARIOS:
        _SCENARIOS[name] = load_scenario(name)
    return _SCENARIOS[name]


class WorldHandle:
    """One test's view of the local world."""

    def __init__(self, local: LocalWorld, scenario: Scenario):
        self.local = local
        self.scenario = scenario
        self.emulator_url: str = local.emulator_url
        self.git_base_url: str = local.git_base_url
        self.ca_bundle: Path = local.ca_bundle
        self.git_token: str = local.git_token
        self.repos = local.repos  # RepoFactory: .commit(name, {path: text}, message), .head(name), .bare_path(name)
        self.control = local.control  # EmulatorControl
        self.seed = local.seed  # SeedResult: domain_id, execution_role_arn, vpc_id, subnet_ids, kms_key_id, ...
        self.domain_id: str = scenario.domain_id
        self.region: str = scenario.region
        self._clients: dict = {}

    @property
    def mlflow_url(self) -> str:
        """The real MLflow server (started, and seeded by the training script, on first use)."""
        url = self.local.start_mlflow()
        self.local.point_tracking_servers(self.scenario)
        return url

    def repo_url(self, name: str) -> str:
        """The repo's URL as Studio's domain lists it (``https://<port-less alias>/<name>.git``), so an admin's
        entry for a repo the domain lists too is the same repo to the catalog. git reaches it with the
        environment ``world_env`` sets (``LocalWorld.git_env``); ``self.local.repo_url`` is the server's own
        ``https://127.0.0.1:<port>`` URL."""
        return self.local.catalog_url(name)

    def catalog_url(self, name: str) -> str:
        """The same repo as the domain's CodeRepositories list it: ``https://<port-less alias>/<name>.git``."""
        return self.local.catalog_url(name)

    def calls(self) -> dict[str, int]:
        """AWS calls since the test began, per operation: {"sagemaker:ListApps": 2, ...}."""
        return self.control.calls()

    def clear_calls(self) -> None:
        self.control.clear_calls()

    def fault(self, operation: str, kind: str = "throttle", latency_ms: int = 0, count: int | None = None) -> dict:
        """Inject a fault: kind = throttle | access_denied | error500 | latency; operation = "sagemaker:ListApps",
        "sagemaker:*" or "*"; ``count`` calls (default: until the test ends)."""
        return self.control.fault(operation, kind, latency_ms, count)

    def clear_faults(self) -> None:
        self.control.clear_faults()

    def rate_limits(self, enabled: bool | None = True, rates: list[dict] | None = None) -> dict:
        """AWS's per-account, per-operation rate limits (off unless turned on; reset with the world)."""
        return self.control.rate_limits(enabled, rates)

    def override(self, kind: str, ident: dict, fields: dict) -> None:
        self.control.override(kind, ident, fields, self.region)

    def settings(self, transition_seconds: float) -> None:
        """How long Pending/Deleting/Stopping... last (0 makes transitions instant)."""
        self.control.settings(transition_seconds)

    def git_faults(
        self, cut_after_bytes: int | None = None, rate_limit_bps: int | None = None, count: int | None = None
    ) -> None:
        self.local.git_faults(cut_after_bytes, rate_limit_bps, count)

    def client(self, service: str):
        """A boto3 client on the emulator (one attempt, no retries), for arranging and asserting."""
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.emulator_url,
                region_name=self.region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=Config(retries={"total_max_attempts": 1}),
            )
        return self._clients[service]

    def start_batch_work(self, prefix: str) -> None:
        """A running processing job and batch transform, named ``<prefix>-processing`` and
        ``<prefix>-transform``: the demo runs neither, and cost describes only what runs."""
        from studio_world.moto_bridge import sagemaker_backend

        sm = self.client("sagemaker")
        role = f"arn:aws:iam::123456789012:role/{self.scenario.section('domain')['execution_role']}"
        sm.create_processing_job(
            ProcessingJobName=f"{prefix}-processing",
            RoleArn=role,
            ProcessingResources={
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
            },
            AppSpecification={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/prep:1"},
        )
        sm.create_transform_job(
            TransformJobName=f"{prefix}-transform",
            ModelName="churn-model",
            TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in/"}}},
            TransformOutput={"S3OutputPath": "s3://b/out/"},
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        )
        # moto finishes both at once and the world has no override for them: set them running in its backend
        # (the emulator runs in this process under pytest).
        backend = sagemaker_backend(self.region)
        backend.processing_jobs[f"{prefix}-processing"].processing_job_status = "InProgress"
        backend.transform_jobs[f"{prefix}-transform"].transform_job_status = "InProgress"

    def tag_created_by(self, notebook_instance: str, profile: str) -> str:
        """Tag a notebook instance as AWS tags what a Studio user profile creates (``sagemaker:user-profile-arn``,
        studio-facts §8.4; the emulator adds no tag itself). Returns the profile's ARN."""
        sm = self.client("sagemaker")
        arn = sm.describe_notebook_instance(NotebookInstanceName=notebook_instance)["NotebookInstanceArn"]
        profile_arn = sm.describe_user_profile(DomainId=self.domain_id, UserProfileName=profile)["UserProfileArn"]
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "sagemaker:user-profile-arn", "Value": profile_arn}])
        return profile_arn

    def resource_metadata(self, space: str | None = None) -> dict:
        return self.local.resource_metadata(space, self.scenario)

    def write_resource_metadata(self, path: Path, space: str | None = None) -> Path:
        return self.local.write_resource_metadata(path, space, self.scenario)


@pytest.fixture(scope="session")
def local_world(tmp_path_factory):
    world = LocalWorld(tmp_path_factory.mktemp("studio-world"), _scenario("demo"), in_process=True)
    world.start()
    yield world
    world.stop()


@pytest.fixture(scope="session")
def refusing_url():
    """A loopback address that refuses connections for the whole session: a port this process holds bound and
    never listens on, so no other server can take it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def world(local_world, request, refusing_url):
    marker = request.node.get_closest_marker("world_scenario")
    scenario = _scenario(marker.args[0]) if marker else local_world.scenario
    local_world.reseed(scenario)
    local_world.point_tracking_servers(scenario)
    if not local_world.mlflow_started:  # never a regional URL, whatever ran before
        for server in scenario.section("mlflow_tracking_servers"):
            if server.get("local"):
                local_world.control.override(
                    "tracking_server",
                    {"TrackingServerName": server["name"]},
                    {"TrackingServerUrl": refusing_url},
                    scenario.region,
                )
    world_handle = WorldHandle(local_world, scenario)
    world_handle.refusing_url = refusing_url
    yield world_handle
    local_world.control.clear_faults()
    local_world.git_faults()


@pytest.fixture
def world_env(world, tmp_path, monkeypatch, request):
    marker = request.node.get_closest_marker("world_space")
    space = marker.args[0] if marker else world.scenario.lab_space
    metadata = world.write_resource_metadata(tmp_path / "resource-metadata.json", space)
    sharing = world.scenario.space(space)["sharing"].lower()
    for name in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "MLFLOW_TRACKING_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    env = {
        "AWS_ENDPOINT_URL": world.emulator_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": world.region,
        "AWS_DEFAULT_REGION": world.region,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-creds"),
        # the world's CA; the git config that reaches the catalog's port-less URLs (an XDG_CONFIG_HOME of the
        # world's, never the user's own config or a repo's .git/config)
        **world.local.git_env(),
        "STUDIO_COLLAB_RESOURCE_METADATA": str(metadata),
        "SAGEMAKER_SPACE_TYPE_LOWERCASE": sharing,
        # MLflow only for tests that ask for it (mlflow_world), never the regional endpoint
        "SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT": world.mlflow_url
        if "mlflow_world" in request.fixturenames
        else world.refusing_url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    world.metadata_path = metadata
    world.space_name = space
    return world


@pytest.fixture
def mlflow_world(world, monkeypatch):
    url = world.mlflow_url
    monkeypatch.setenv("SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT", url)
    return world
