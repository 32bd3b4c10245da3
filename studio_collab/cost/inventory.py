"""What runs now (row C1): one round of SageMaker calls, every list through a boto3 paginator.

Studio apps, notebook instances and MLflow tracking servers are collected here; endpoints and jobs by
``WorkloadLister``. The Describe calls that lists lack share one semaphore, so a domain with hundreds of
resources never opens hundreds of AWS requests at once. Each kind fails alone: AccessDenied on one list
leaves that kind saying which permission is missing while the others still show.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..errors import StudioCollabError
from .forgotten import ForgottenResources
from .rows import PAGE, DescribeFanOut, KindResult, resource_row
from .workloads import WorkloadLister

log = logging.getLogger(__name__)

KINDS = (
    "app",
    "notebook_instance",
    "endpoint",
    "training_job",
    "processing_job",
    "transform_job",
    "mlflow_tracking_server",
    # what people forget (row C9)
    "space_storage",
    "warm_pool",
    "inference_component",
    "scheduled_notebook_job",
    "mlflow_app",
)
# What a person calls each kind, and the list action its permission names.
KIND_LABELS = {
    "app": ("Studio apps", "sagemaker:ListApps"),
    "notebook_instance": ("notebook instances", "sagemaker:ListNotebookInstances"),
    "endpoint": ("endpoints", "sagemaker:ListEndpoints"),
    "training_job": ("training jobs", "sagemaker:ListTrainingJobs"),
    "processing_job": ("processing jobs", "sagemaker:ListProcessingJobs"),
    "transform_job": ("transform jobs", "sagemaker:ListTransformJobs"),
    "mlflow_tracking_server": ("MLflow tracking servers", "sagemaker:ListMlflowTrackingServers"),
    "space_storage": ("spaces", "sagemaker:ListSpaces"),
    "warm_pool": ("training warm pools", "sagemaker:ListTrainingJobs"),
    "inference_component": ("inference components", "sagemaker:ListInferenceComponents"),
    "scheduled_notebook_job": ("scheduled notebook jobs", "sagemaker:Search"),
    "mlflow_app": ("MLflow Apps", "sagemaker:ListMlflowApps"),
}
# Studio AppType → price component. JupyterServer apps run on the unbilled "system" instance.
APP_COMPONENTS = {
    "JupyterLab": "studio_jupyterlab",
    "CodeEditor": "studio_codeeditor",
    "KernelGateway": "studio_classic",
    "JupyterServer": "studio_classic",
}
RUNNING_APP_STATUSES = {"InService", "Pending"}
# Tracking-server states in which the server exists and bills by the hour.
RUNNING_MLFLOW_STATUSES = {
    "Created",
    "Creating",
    "Starting",
    "Started",
    "Updating",
    "Updated",
    "UpdateFailed",
    "StopFailed",
    "MaintenanceInProgress",
    "MaintenanceComplete",
    "MaintenanceFailed",
}


@dataclass
class Inventory:
    collected_at: float
    results: dict[str, KindResult]
    # whose round it is: {shared, refreshed_by, reason} (set by the service from the shared inventory)
    source: dict | None = None

    def rows(self) -> list[dict]:
        return [row for kind in KINDS for row in self.results[kind].resources]


class ResourceInventory:
    def __init__(
        self, aws, context, concurrency: int = 8, clock: Callable[[], float] = time.time, describe_domain=None
    ):
        self.aws = aws
        self.context = context
        self.concurrency = max(1, concurrency)
        self.clock = clock
        self.workloads = WorkloadLister(aws, clock)
        self.forgotten = ForgottenResources(aws, context, self, describe_domain)

    async def collect(self) -> Inventory:
        fan_out = DescribeFanOut(self.aws, self.concurrency)
        collectors = {
            "app": self._apps,
            "notebook_instance": self._notebook_instances,
            "endpoint": self.workloads.endpoints,
            "training_job": self.workloads.training_jobs,
            "processing_job": self.workloads.processing_jobs,
            "transform_job": self.workloads.transform_jobs,
            "mlflow_tracking_server": self._mlflow_servers,
            "space_storage": self.forgotten.space_storage,
            "warm_pool": lambda result, fan_out: self.workloads.warm_pools(
                result, fan_out, self.forgotten.owner_lookup(fan_out)
            ),
            "inference_component": self.forgotten.inference_components,
            "scheduled_notebook_job": self.forgotten.scheduled_notebook_jobs,
            "mlflow_app": self.forgotten.mlflow_apps,
        }
        results = await asyncio.gather(*(self._run(kind, collectors[kind], fan_out) for kind in KINDS))
        return Inventory(self.clock(), {result.kind: result for result in results})

    async def _run(self, kind: str, collector, fan_out: DescribeFanOut) -> KindResult:
        result = KindResult(kind)
        try:
            await collector(result, fan_out)
        except StudioCollabError as err:
            label, action = KIND_LABELS[kind]
            if err.code == "aws_access_denied":
                err = StudioCollabError(
                    "aws_access_denied",
                    f"No permission to list {label} ({action}). Ask "
                    "your admin to grant it to this space's execution role.",
                    403,
                )
            result.resources, result.error = [], err
        return result

    # --- Studio apps ---------------------------------------------------------------------------------------
    async def _apps(self, result: KindResult, fan_out: DescribeFanOut) -> None:
        domain_id = self.context.domain_id
        params = {"DomainIdEquals": domain_id} if domain_id else {}
        apps, owners = await asyncio.gather(
            fan_out.once("ListApps", lambda: self.aws.paginate("sagemaker", "ListApps", "Apps", **params, **PAGE)),
            self._space_owners(result, fan_out),
        )
        for app in apps:
            if app.get("Status") not in RUNNING_APP_STATUSES:
                continue
            space, profile = app.get("SpaceName"), app.get("UserProfileName")
            app_type, app_name = app.get("AppType"), app.get("AppName")
            this_app = (
                bool(space)
                and space == self.context.space_name
                and app_type == self.context.app_type
                and app_name == self.context.app_name
                and app.get("DomainId") == domain_id
            )
            result.resources.append(
                resource_row(
                    "app",
                    f"{space or profile}/{app_type}/{app_name}",
                    arn=self.context.app_arn if this_app else self._app_arn(app),
                    instance_type=(app.get("ResourceSpec") or {}).get("InstanceType"),
                    count=1,
                    status=app.get("Status"),
                    started=app.get("CreationTime"),
                    owner=owners.get(space) if space else profile,
                    space=space,
                    component=APP_COMPONENTS.get(app_type or ""),
                    app_type=app_type,
                    this_app=this_app,
                )
            )

    async def _space_owners(self, result: KindResult, fan_out: DescribeFanOut) -> dict:
        """Space → owning user profile; without ListSpaces the apps still show, ownerless."""
        try:
            spaces = await self.spaces(fan_out)
        except StudioCollabError as err:
            if err.code != "aws_access_denied":
                raise
            result.notes.append("Owners of apps are unknown: no permission for sagemaker:ListSpaces.")
            return {}
        return {
            s.get("SpaceName"): (s.get("OwnershipSettingsSummary") or {}).get("OwnerUserProfileName") for s in spaces
        }

    async def spaces(self, fan_out: DescribeFanOut) -> list[dict]:
        """The domain's spaces, listed once per round for every kind that needs them."""
        domain_id = self.context.domain_id
        if not domain_id:
            return []
        return await fan_out.once(
            "ListSpaces",
            lambda: self.aws.paginate("sagemaker", "ListSpaces", "Spaces", DomainIdEquals=domain_id, **PAGE),
        )

    async def running_apps(self, fan_out: DescribeFanOut) -> list[dict]:
        domain_id = self.context.domain_id
        params = {"DomainIdEquals": domain_id} if domain_id else {}
        apps = await fan_out.once(
            "ListApps", lambda: self.aws.paginate("sagemaker", "ListApps", "Apps", **params, **PAGE)
        )
        return [a for a in apps if a.get("Status") in RUNNING_APP_STATUSES]

    def _app_arn(self, app: dict) -> str | None:
        account, region = self.context.account_id, self.context.region
        holder = app.get("SpaceName") or app.get("UserProfileName")
        if not (account and region and holder and app.get("AppType") and app.get("AppName")):
            return None
        return (
            f"arn:aws:sagemaker:{region}:{account}:app/{app.get('DomainId')}/{holder}/"
            f"{str(app['AppType']).lower()}/{app['AppName']}"
        )

    # --- notebook instances and MLflow tracking servers ----------------------------------------------------
    async def _notebook_instances(self, result: KindResult, fan_out: DescribeFanOut) -> None:
        instances = await self.aws.paginate(
            "sagemaker", "ListNotebookInstances", "NotebookInstances", StatusEquals="InService", **PAGE
        )
        for item in instances:
            # A stop/start bumps LastModifiedTime, so it is the closest listed time to "running since".
            result.resources.append(
                resource_row(
                    "notebook_instance",
                    item["NotebookInstanceName"],
                    arn=item.get("NotebookInstanceArn"),
                    instance_type=item.get("InstanceType"),
                    count=1,
                    status=item.get("NotebookInstanceStatus"),
                    started=item.get("LastModifiedTime") or item.get("CreationTime"),
                    component="notebook_instance",
                )
            )

    async def _mlflow_servers(self, result: KindResult, fan_out: DescribeFanOut) -> None:
        servers = await self.aws.paginate("sagemaker", "ListMlflowTrackingServers", "TrackingServerSummaries", **PAGE)
        running = [s for s in servers if s.get("TrackingServerStatus") in RUNNING_MLFLOW_STATUSES]

        async def described(item: dict) -> list[dict]:
            server = await fan_out.describe(
                "DescribeMlflowTrackingServer", TrackingServerName=item["TrackingServerName"]
            )
            status = server.get("TrackingServerStatus")
            return [
                resource_row(
                    "mlflow_tracking_server",
                    server["TrackingServerName"],
                    arn=server.get("TrackingServerArn"),
                    instance_type=server.get("TrackingServerSize"),
                    count=1,
                    status=status,
                    # "Created" servers run since creation; a stop/start makes them "Started".
                    started=(server.get("LastModifiedTime") if status in ("Started", "Starting") else None)
                    or server.get("CreationTime"),
                    owner=(server.get("CreatedBy") or {}).get("UserProfileName"),
                    component="mlflow_tracking_server",
                )
            ]

        await fan_out.each(
            result,
            running,
            described,
            "DescribeMlflowTrackingServer",
            lambda item: [
                resource_row(
                    "mlflow_tracking_server",
                    item["TrackingServerName"],
                    arn=item.get("TrackingServerArn"),
                    status=item.get("TrackingServerStatus"),
                    started=item.get("CreationTime"),
                    component="mlflow_tracking_server",
                )
            ],
        )


def with_stale(result: KindResult, previous: KindResult, collected_at: float) -> KindResult:
    """Keep a previous round's rows for a kind whose refresh failed, saying since when they are old."""
    return replace(previous, error=result.error, stale_since=previous.stale_since or collected_at)
