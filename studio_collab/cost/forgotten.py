"""The resources people forget (row C9): what bills while nobody looks at it, and who made it.

- **Stopped spaces' storage**: a space's EBS volume keeps billing per GB-month after its app is deleted. The size
  is the space's ``EbsVolumeSizeInGb``, else the domain's default for new spaces, else Studio's 5 GB.
- **Inference components**: models placed on an endpoint's instances; they bill as part of that endpoint.
- **Scheduled notebook jobs**: what jupyter-scheduler (amazon-sagemaker-jupyter-scheduler) leaves behind: a
  pipeline tagged ``sagemaker:is-scheduling-notebook-job`` that runs a notebook on a training instance on every
  tick of its schedule; it bills per run, at the training price of its instance type.
- **Serverless MLflow Apps**: no hourly server charge (what they do cost is storage and requests).

Owners come from the tags Studio puts on what a user creates from a space (``sagemaker:user-profile-arn``, else
``sagemaker:space-arn`` → that space's owner); one ListTags per resource, through the round's Describe limiter.
"""

from __future__ import annotations

import asyncio
import json
import logging

from ..errors import StudioCollabError
from .rows import PAGE, DescribeFanOut, KindResult, resource_row

log = logging.getLogger(__name__)

# Studio's own default when neither the space nor the domain names a size (SpaceStorageSettings: 5..16384 GB).
DEFAULT_SPACE_EBS_GB = 5
SCHEDULED_JOB_TAG = "sagemaker:is-scheduling-notebook-job"
PROFILE_TAG = "sagemaker:user-profile-arn"
SPACE_TAG = "sagemaker:space-arn"
LIVE_MLFLOW_APP_STATUSES = {"Creating", "Created", "Updating", "Updated", "UpdateFailed", "DeleteFailed"}


class ForgottenResources:
    def __init__(self, aws, context, inventory, describe_domain=None):
        self.aws = aws
        self.context = context
        self.inventory = inventory  # ResourceInventory: its per-round ListSpaces/ListApps
        self.describe_domain = describe_domain

    # --- owners from Studio's tags --------------------------------------------------------------------------
    def owner_lookup(self, fan_out: DescribeFanOut):
        async def owner_of(arn: str | None) -> tuple[str | None, str | None]:
            if not arn:
                return None, None
            try:
                tags = await fan_out.describe("ListTags", ResourceArn=arn)
            except StudioCollabError as err:
                if err.code in ("aws_access_denied", "aws_not_found", "aws_validation"):
                    return None, None
                raise
            return await self.owner_from_tags(tags.get("Tags") or [], fan_out)

        return owner_of

    async def owner_from_tags(self, tags: list[dict], fan_out: DescribeFanOut) -> tuple[str | None, str | None]:
        values = {t.get("Key"): t.get("Value") for t in tags}
        space = _last_segment(values.get(SPACE_TAG))
        profile = _last_segment(values.get(PROFILE_TAG))
        if profile is None and space is not None:
            profile = (await self._space_owners(fan_out)).get(space)
        return profile, space

    async def _space_owners(self, fan_out: DescribeFanOut) -> dict:
        try:
            spaces = await self.inventory.spaces(fan_out)
        except StudioCollabError:
            return {}
        return {
            s.get("SpaceName"): (s.get("OwnershipSettingsSummary") or {}).get("OwnerUserProfileName") for s in spaces
        }

    # --- stopped spaces' storage ----------------------------------------------------------------------------
    async def space_storage(self, result: KindResult, fan_out: DescribeFanOut) -> None:
        if not self.context.domain_id:
            return
        spaces, running = await asyncio.gather(self.inventory.spaces(fan_out), self.inventory.running_apps(fan_out))
        busy = {a.get("SpaceName") for a in running if a.get("SpaceName")}
        stopped = [s for s in spaces if s.get("SpaceName") not in busy and s.get("Status") in ("InService", None)]
        defaults = await self._domain_storage_defaults(result) if any(_size(s) is None for s in stopped) else {}
        for space in stopped:
            sharing = (space.get("SpaceSharingSettingsSummary") or {}).get("SharingType")
            size = _size(space) or defaults.get("Shared" if sharing == "Shared" else "Private") or DEFAULT_SPACE_EBS_GB
            result.resources.append(
                resource_row(
                    "space_storage",
                    space["SpaceName"],
                    arn=self._space_arn(space["SpaceName"]),
                    count=None,
                    status="NoRunningApp",
                    started=space.get("CreationTime"),
                    owner=(space.get("OwnershipSettingsSummary") or {}).get("OwnerUserProfileName"),
                    space=space["SpaceName"],
                    component="space_storage",
                    storage_gb=size,
                    size_source="space"
                    if _size(space) is not None
                    else (
                        "domain" if defaults.get("Shared" if sharing == "Shared" else "Private") else "studio_default"
                    ),
                )
            )

    async def _domain_storage_defaults(self, result: KindResult) -> dict:
        if self.describe_domain is None:
            return {}
        try:
            domain = await self.describe_domain()
        except StudioCollabError as err:
            result.notes.append(
                f"Default space sizes unknown ({err.message}); assuming Studio's {DEFAULT_SPACE_EBS_GB} GB."
            )
            return {}

        def default_of(settings: dict | None) -> int | None:
            storage = ((settings or {}).get("SpaceStorageSettings") or {}).get("DefaultEbsStorageSettings") or {}
            size = storage.get("DefaultEbsVolumeSizeInGb")
            return size if isinstance(size, int) else None

        return {
            "Private": default_of(domain.get("DefaultUserSettings")),
            "Shared": default_of(domain.get("DefaultSpaceSettings")) or default_of(domain.get("DefaultUserSettings")),
        }

    def _space_arn(self, name: str) -> str | None:
        c = self.context
        if not (c.region and c.account_id and c.domain_id):
            return None
        return f"arn:aws:sagemaker:{c.region}:{c.account_id}:space/{c.domain_id}/{name}"

    # --- inference components -------------------------------------------------------------------------------
    async def inference_components(self, result: KindResult, fan_out: DescribeFanOut) -> None:
        listed = await self.aws.paginate(
            "sagemaker", "ListInferenceComponents", "InferenceComponents", StatusEquals="InService", **PAGE
        )
        owner_of = self.owner_lookup(fan_out)

        async def described(item: dict) -> list[dict]:
            component, (owner, space) = await asyncio.gather(
                fan_out.describe("DescribeInferenceComponent", InferenceComponentName=item["InferenceComponentName"]),
                owner_of(item.get("InferenceComponentArn")),
            )
            spec = component.get("Specification") or {}
            runtime = component.get("RuntimeConfig") or {}
            return [
                resource_row(
                    "inference_component",
                    component["InferenceComponentName"],
                    arn=component.get("InferenceComponentArn"),
                    instance_type=spec.get("InstanceType"),
                    count=runtime.get("CurrentCopyCount"),
                    status=component.get("InferenceComponentStatus"),
                    started=component.get("CreationTime"),
                    owner=owner,
                    space=space,
                    component="inference_component",
                    endpoint=component.get("EndpointName"),
                    billed_with=component.get("EndpointName"),
                )
            ]

        await fan_out.each(
            result,
            listed,
            described,
            "DescribeInferenceComponent",
            lambda item: [
                resource_row(
                    "inference_component",
                    item["InferenceComponentName"],
                    arn=item.get("InferenceComponentArn"),
                    status=item.get("InferenceComponentStatus"),
                    started=item.get("CreationTime"),
                    component="inference_component",
                    endpoint=item.get("EndpointName"),
                    billed_with=item.get("EndpointName"),
                )
            ],
        )

    # --- scheduled notebook jobs ----------------------------------------------------------------------------
    async def scheduled_notebook_jobs(self, result: KindResult, fan_out: DescribeFanOut) -> None:
        found = await self.aws.paginate(
            "sagemaker",
            "Search",
            "Results",
            Resource="Pipeline",
            SearchExpression={
                "Filters": [{"Name": f"Tags.{SCHEDULED_JOB_TAG}", "Operator": "Equals", "Value": "true"}]
            },
            **PAGE,
        )
        pipelines = [item["Pipeline"] for item in found if isinstance(item.get("Pipeline"), dict)]

        async def described(pipeline: dict) -> list[dict]:
            detail = await fan_out.describe("DescribePipeline", PipelineName=pipeline["PipelineName"])
            owner, space = await self.owner_from_tags(pipeline.get("Tags") or [], fan_out)
            tags = {t.get("Key"): t.get("Value") for t in pipeline.get("Tags") or []}
            instance_type, count = _pipeline_instance(detail.get("PipelineDefinition"))
            return [
                resource_row(
                    "scheduled_notebook_job",
                    pipeline["PipelineName"],
                    arn=pipeline.get("PipelineArn"),
                    instance_type=instance_type,
                    count=count,
                    status=detail.get("PipelineStatus") or "Active",
                    started=pipeline.get("CreationTime"),
                    owner=owner,
                    space=space,
                    component="training",
                    notebook=tags.get("sagemaker:notebook-name"),
                    billing="per_run",
                    last_run=_iso(detail.get("LastRunTime")),
                )
            ]

        await fan_out.each(
            result,
            pipelines,
            described,
            "DescribePipeline",
            lambda p: [
                resource_row(
                    "scheduled_notebook_job",
                    p["PipelineName"],
                    arn=p.get("PipelineArn"),
                    status=p.get("PipelineStatus"),
                    started=p.get("CreationTime"),
                    component="training",
                    billing="per_run",
                )
            ],
        )

    # --- serverless MLflow Apps -----------------------------------------------------------------------------
    async def mlflow_apps(self, result: KindResult, fan_out: DescribeFanOut) -> None:
        apps = await self.aws.paginate("sagemaker", "ListMlflowApps", "Summaries", **PAGE)
        owner_of = self.owner_lookup(fan_out)

        async def described(app: dict) -> list[dict]:
            owner, space = await owner_of(app.get("Arn"))
            return [
                resource_row(
                    "mlflow_app",
                    app.get("Name") or app["Arn"],
                    arn=app.get("Arn"),
                    status=app.get("Status"),
                    started=app.get("CreationTime"),
                    owner=owner,
                    space=space,
                    component="mlflow_app",
                    mlflow_version=app.get("MlflowVersion"),
                )
            ]

        live = [a for a in apps if a.get("Status") in LIVE_MLFLOW_APP_STATUSES]
        await fan_out.each(
            result,
            live,
            described,
            "ListTags",
            lambda app: [
                resource_row(
                    "mlflow_app",
                    app.get("Name") or app["Arn"],
                    arn=app.get("Arn"),
                    status=app.get("Status"),
                    started=app.get("CreationTime"),
                    component="mlflow_app",
                )
            ],
        )


def _size(space: dict) -> int | None:
    storage = ((space.get("SpaceSettingsSummary") or {}).get("SpaceStorageSettings") or {}).get(
        "EbsStorageSettings"
    ) or {}
    size = storage.get("EbsVolumeSizeInGb")
    return size if isinstance(size, int) else None


def _pipeline_instance(definition) -> tuple[str | None, int | None]:
    """The instance of the pipeline's training step (jupyter-scheduler's pipelines have exactly one)."""
    try:
        steps = json.loads(definition).get("Steps") or [] if isinstance(definition, str) else []
    except ValueError:
        return None, None
    for step in steps:
        config = ((step.get("Arguments") or {}).get("ResourceConfig")) or {}
        if config.get("InstanceType"):
            return config["InstanceType"], config.get("InstanceCount", 1)
    return None, None


def _last_segment(arn: str | None) -> str | None:
    return arn.rsplit("/", 1)[-1] if isinstance(arn, str) and "/" in arn else None


def _iso(value) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else None
