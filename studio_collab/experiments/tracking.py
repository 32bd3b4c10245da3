"""Which MLflow this space tracks to, and how requests to it are authenticated.

The tracking URI is the admin's ``mlflow_tracking_uri``, else ``$MLFLOW_TRACKING_URI``, else (in Studio) the
account's active SageMaker tracking server. A SageMaker ARN is reached the way AWS's ``sagemaker-mlflow``
plugin does it: the regional ``experiments.sagemaker`` endpoint, requests SigV4-signed for the service
``sagemaker-mlflow`` and the header ``x-mlflow-sm-tracking-server-arn``. Credentials are resolved and requests
signed in the AWS worker pool, because a credential refresh may block on the network (IMDS, STS).
"""

from __future__ import annotations

import base64
import re
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from ..errors import StudioCollabError
from ..studio.aws import AwsClients

_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<type>mlflow-tracking-server|mlflow-app)/(?P<name>[A-Za-z0-9-]{1,256})$"
)
# What the plugin signs for and which header names the resource, per ARN type.
_SIGNING = {
    "mlflow-tracking-server": ("sagemaker-mlflow", "x-mlflow-sm-tracking-server-arn"),
    "mlflow-app": ("sagemaker", "x-sm-mlflow-app-arn"),
}
# Tracking servers that can answer requests (the others are stopped, failing or being deleted).
SERVING_STATUSES = {"Created", "Updated", "Started", "MaintenanceComplete", "Updating", "MaintenanceInProgress"}


@dataclass(frozen=True)
class TrackingTarget:
    """An MLflow tracking server: where its REST API is and how to authenticate to it."""

    uri: str  # what a notebook passes to mlflow.set_tracking_uri (never carries credentials)
    base_url: str  # REST API root, without /api/2.0/...
    kind: str  # "url" | "mlflow-tracking-server" | "mlflow-app"
    origin: str  # "config" | "environment" | "studio"
    arn: str | None = None
    region: str | None = None
    basic_auth: tuple[str, str] | None = None
    bearer_token: str | None = None

    @property
    def is_sagemaker(self) -> bool:
        return self.arn is not None

    @property
    def resource_name(self) -> str | None:
        return self.arn.rsplit("/", 1)[1] if self.arn else None

    def static_headers(self) -> dict[str, str]:
        """Headers of every request that need no signing (plain servers, and the ARN header)."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.basic_auth:
            token = base64.b64encode(":".join(self.basic_auth).encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        elif self.bearer_token:
            headers["Authorization"] = f"Bearer {self.bearer_token}"
        if self.arn:
            headers[_SIGNING[self.kind][1]] = self.arn
        return headers

    def snippet(self) -> str:
        """Code a notebook runs to start tracking to this server."""
        lines = [
            "import mlflow",
            "",
            f'mlflow.set_tracking_uri("{self.uri}")',
            'mlflow.set_experiment("my-experiment")',
            "",
            "with mlflow.start_run():",
            '    mlflow.log_params({"learning_rate": 0.01, "epochs": 10})',
            '    mlflow.log_metric("accuracy", 0.93)',
        ]
        if self.is_sagemaker:
            lines.insert(0, "# needs: pip install mlflow sagemaker-mlflow (both are in SageMaker Distribution)")
        elif self.basic_auth:
            lines.insert(0, "# set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD in the environment first")
        elif self.bearer_token:
            lines.insert(0, "# set MLFLOW_TRACKING_TOKEN in the environment first")
        return "\n".join(lines) + "\n"

    def ui_url(self, experiment_id: str | None = None, run_id: str | None = None) -> str:
        """The MLflow UI of a plain server (SageMaker servers need a presigned URL instead)."""
        url = self.base_url.rstrip("/") + "/"
        if experiment_id:
            url += f"#/experiments/{experiment_id}"
            if run_id:
                url += f"/runs/{run_id}"
        return url


def parse_arn(arn: str) -> re.Match | None:
    return _ARN.match(arn.strip())


def target_from_uri(uri: str, origin: str, endpoint_override: str | None, env: dict) -> TrackingTarget:
    """A target for a configured URI; raises ``mlflow_not_supported`` for stores the panel cannot read."""
    uri = uri.strip()
    match = parse_arn(uri)
    if match:
        region = match["region"]
        if endpoint_override:
            base = endpoint_override
        elif match["type"] == "mlflow-app":
            base = f"https://mlflow.sagemaker.{region}.app.aws"
        else:
            # The plugin's endpoint: https://<region>.experiments.sagemaker.<dns suffix>, "aws" in the aws partition.
            base = f"https://{region}.experiments.sagemaker.aws"
        return TrackingTarget(
            uri=uri, base_url=base.rstrip("/"), kind=match["type"], origin=origin, arn=uri, region=region
        )
    if uri.startswith("arn:"):
        raise StudioCollabError(
            "mlflow_not_supported",
            "The MLflow tracking URI is an ARN but not of a SageMaker "
            "MLflow tracking server or app. Check StudioCollabApp.mlflow_tracking_uri.",
            400,
        )
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        scheme = parts.scheme or uri.split(":", 1)[0]
        raise StudioCollabError(
            "mlflow_not_supported",
            f"The panel reads MLflow over its REST API; a '{scheme[:20]}' tracking URI "
            "(a local file or database store) has no server. Start `mlflow server` and use its http(s) URL.",
            400,
        )
    basic = None
    if parts.username is not None:
        basic = (parts.username, parts.password or "")
    elif env.get("MLFLOW_TRACKING_USERNAME"):
        basic = (env["MLFLOW_TRACKING_USERNAME"], env.get("MLFLOW_TRACKING_PASSWORD", ""))
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))  # no credentials, ever
    return TrackingTarget(
        uri=clean,
        base_url=clean,
        kind="url",
        origin=origin,
        basic_auth=basic,
        bearer_token=None if basic else env.get("MLFLOW_TRACKING_TOKEN") or None,
    )


def active_tracking_server(summaries: list[dict]) -> dict | None:
    """The tracking server Studio marks active, newest first when several are."""
    active = [
        s
        for s in summaries
        if s.get("IsActive") == "Active"
        and s.get("TrackingServerStatus") in SERVING_STATUSES
        and s.get("TrackingServerArn")
    ]
    active.sort(key=lambda s: str(s.get("CreationTime") or ""), reverse=True)
    return active[0] if active else None


class RequestSigner:
    """SigV4 for SageMaker MLflow, with credentials from the default AWS chain (the space's execution role)."""

    def __init__(self, aws: AwsClients):
        self.aws = aws
        self._credentials = None
        self._lock = threading.Lock()

    async def sign(self, target: TrackingTarget, method: str, url: str, body: bytes | None) -> dict[str, str]:
        """The headers of a signed request (run in the AWS pool: resolving credentials may block)."""
        return await self.aws.in_thread(self._sign_sync, target, method, url, body)

    def _sign_sync(self, target: TrackingTarget, method: str, url: str, body: bytes | None) -> dict[str, str]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        frozen = self._frozen_credentials()
        headers = target.static_headers()
        request = AWSRequest(method=method, url=url, data=body or b"", headers=headers)
        SigV4Auth(frozen, _SIGNING[target.kind][0], target.region).add_auth(request)
        return dict(request.headers.items())

    def _frozen_credentials(self):
        with self._lock:
            if self._credentials is None:
                import botocore.session

                # One botocore session for signing; its refreshable credentials renew themselves when due.
                self._credentials = botocore.session.get_session().get_credentials()
            credentials = self._credentials
        if credentials is None:
            raise StudioCollabError(
                "aws_not_configured",
                "No AWS credentials to sign requests to the SageMaker "
                "MLflow tracking server. In Studio the execution role provides them; elsewhere "
                "set AWS credentials.",
                503,
            )
        return credentials.get_frozen_credentials()
