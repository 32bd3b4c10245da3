"""Endpoints and jobs in the inventory: what the list calls do not say (instance types and counts).

``sagemaker:Search`` returns whole training jobs and endpoints, a hundred per call, where the list calls
would need one Describe each: a domain with 600 running jobs costs 6 calls instead of 600. Without the
Search permission the collectors fall back to List + Describe. Endpoint configs never change once made,
so each is described once per server, not once per round.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from ..errors import StudioCollabError
from .rows import PAGE, DescribeFanOut, KindResult, resource_row

# The longest a training warm pool can be kept alive (ResourceConfig.KeepAlivePeriodInSeconds, max 21600 s):
# a job whose pool is still available ended, and was last modified, less than this long ago.
WARM_POOL_HORIZON_SECONDS = 21600
_CONFIG_CACHE_SIZE = 4096


class WorkloadLister:
    def __init__(self, aws, clock=time.time):
        self.aws = aws
        self.clock = clock
        self._endpoint_configs: dict[str, dict] = {}

    async def search(self, resource: str, status_field: str, status: str) -> list[dict] | None:
        """Every ``resource`` in ``status`` through Search, or None when Search may not be used here."""
        try:
            results = await self.aws.paginate(
                "sagemaker",
                "Search",
                "Results",
                Resource=resource,
                SearchExpression={"Filters": [{"Name": status_field, "Operator": "Equals", "Value": status}]},
                **PAGE,
            )
        except StudioCollabError as err:
            if err.code in ("aws_access_denied", "aws_validation"):
                return None
            raise
        return [item[resource] for item in results if isinstance(item.get(resource), dict)]

    # --- endpoints ---------------------------------------------------------------------------------------
    async def endpoints(self, result: KindResult, fan_out: DescribeFanOut) -> None:
        found = await self.search("Endpoint", "EndpointStatus", "InService")
        if found is None:
            listed = await self.aws.paginate(
                "sagemaker", "ListEndpoints", "Endpoints", StatusEquals="InService", **PAGE
            )

            async def described(item: dict) -> list[dict]:
                endpoint = await fan_out.describe("DescribeEndpoint", EndpointName=item["EndpointName"])
                return await self._endpoint_rows(endpoint, fan_out)

            await fan_out.each(result, listed, described, "DescribeEndpoint", _bare_endpoint)
            return
        await fan_out.each(
            result,
            found,
            lambda endpoint: self._endpoint_rows(endpoint, fan_out),
            "DescribeEndpointConfig",
            _bare_endpoint,
        )

    async def _endpoint_rows(self, endpoint: dict, fan_out: DescribeFanOut) -> list[dict]:
        config = await self._endpoint_config(endpoint["EndpointConfigName"], fan_out)
        current = {v.get("VariantName"): v for v in endpoint.get("ProductionVariants") or []}
        rows = []
        for variant in config.get("ProductionVariants") or []:
            live = current.get(variant.get("VariantName")) or {}
            serverless = bool(variant.get("ServerlessConfig"))
            rows.append(
                resource_row(
                    "endpoint",
                    endpoint["EndpointName"],
                    arn=endpoint.get("EndpointArn"),
                    instance_type=variant.get("InstanceType"),
                    count=0 if serverless else live.get("CurrentInstanceCount", variant.get("InitialInstanceCount")),
                    status=endpoint.get("EndpointStatus"),
                    started=endpoint.get("CreationTime"),
                    component="hosting",
                    variant=variant.get("VariantName"),
                    serverless=serverless,
                )
            )
        return rows

    async def _endpoint_config(self, name: str, fan_out: DescribeFanOut) -> dict:
        config = self._endpoint_configs.get(name)
        if config is None:
            config = await fan_out.describe("DescribeEndpointConfig", EndpointConfigName=name)
            if len(self._endpoint_configs) >= _CONFIG_CACHE_SIZE:
                self._endpoint_configs.clear()
            self._endpoint_configs[name] = config
        return config

    # --- training jobs (and their warm pools) -------------------------------------------------------------
    async def training_jobs(self, result: KindResult, fan_out: DescribeFanOut) -> None:
        found = await self.search("TrainingJob", "TrainingJobStatus", "InProgress")
        if found is None:
            listed = await self.aws.paginate(
                "sagemaker", "ListTrainingJobs", "TrainingJobSummaries", StatusEquals="InProgress", **PAGE
            )
            await fan_out.each(
                result,
                listed,
                lambda item: self._described_training(item, fan_out),
                "DescribeTrainingJob",
                _bare_training,
            )
        else:
            for job in found:
                result.resources.extend(_training_rows(job))

    async def warm_pools(self, result: KindResult, fan_out: DescribeFanOut, owner_of=None) -> None:
        """Training warm pools: a pool keeps its instances (and their bill) after the job ends, until its
        keep-alive lapses. The summary's own WarmPoolStatus is checked too, in case a list ignored the filter."""
        horizon = datetime.fromtimestamp(self.clock() - WARM_POOL_HORIZON_SECONDS, timezone.utc)
        warm = await self.aws.paginate(
            "sagemaker",
            "ListTrainingJobs",
            "TrainingJobSummaries",
            WarmPoolStatusEquals="Available",
            LastModifiedTimeAfter=horizon,
            **PAGE,
        )
        warm = [
            job
            for job in warm
            if job.get("TrainingJobStatus") != "InProgress"
            and (job.get("WarmPoolStatus") or {}).get("Status") == "Available"
        ]

        async def described(item: dict) -> list[dict]:
            rows = await self._described_training(item, fan_out)
            if rows and owner_of is not None:
                owner, space = await owner_of(rows[0]["arn"])
                for row in rows:
                    row.update(owner=owner, space=space)
            return rows

        await fan_out.each(
            result,
            warm,
            described,
            "DescribeTrainingJob",
            lambda item: [{**row, "kind": "warm_pool"} for row in _bare_training(item)],
        )

    async def _described_training(self, item: dict, fan_out: DescribeFanOut) -> list[dict]:
        return _training_rows(await fan_out.describe("DescribeTrainingJob", TrainingJobName=item["TrainingJobName"]))

    # --- processing and transform jobs (not searchable) ---------------------------------------------------
    async def processing_jobs(self, result: KindResult, fan_out: DescribeFanOut) -> None:
        listed = await self.aws.paginate(
            "sagemaker", "ListProcessingJobs", "ProcessingJobSummaries", StatusEquals="InProgress", **PAGE
        )

        async def described(item: dict) -> list[dict]:
            job = await fan_out.describe("DescribeProcessingJob", ProcessingJobName=item["ProcessingJobName"])
            cluster = (job.get("ProcessingResources") or {}).get("ClusterConfig") or {}
            return [
                resource_row(
                    "processing_job",
                    job["ProcessingJobName"],
                    arn=job.get("ProcessingJobArn"),
                    instance_type=cluster.get("InstanceType"),
                    count=cluster.get("InstanceCount"),
                    status=job.get("ProcessingJobStatus"),
                    started=job.get("ProcessingStartTime") or job.get("CreationTime"),
                    component="processing",
                )
            ]

        await fan_out.each(
            result,
            listed,
            described,
            "DescribeProcessingJob",
            lambda item: [
                resource_row(
                    "processing_job",
                    item["ProcessingJobName"],
                    arn=item.get("ProcessingJobArn"),
                    status=item.get("ProcessingJobStatus"),
                    started=item.get("CreationTime"),
                    component="processing",
                )
            ],
        )

    async def transform_jobs(self, result: KindResult, fan_out: DescribeFanOut) -> None:
        listed = await self.aws.paginate(
            "sagemaker", "ListTransformJobs", "TransformJobSummaries", StatusEquals="InProgress", **PAGE
        )

        async def described(item: dict) -> list[dict]:
            job = await fan_out.describe("DescribeTransformJob", TransformJobName=item["TransformJobName"])
            resources = job.get("TransformResources") or {}
            return [
                resource_row(
                    "transform_job",
                    job["TransformJobName"],
                    arn=job.get("TransformJobArn"),
                    instance_type=resources.get("InstanceType"),
                    count=resources.get("InstanceCount"),
                    status=job.get("TransformJobStatus"),
                    started=job.get("TransformStartTime") or job.get("CreationTime"),
                    component="batch_transform",
                )
            ]

        await fan_out.each(
            result,
            listed,
            described,
            "DescribeTransformJob",
            lambda item: [
                resource_row(
                    "transform_job",
                    item["TransformJobName"],
                    arn=item.get("TransformJobArn"),
                    status=item.get("TransformJobStatus"),
                    started=item.get("CreationTime"),
                    component="batch_transform",
                )
            ],
        )


def _training_rows(job: dict) -> list[dict]:
    """Rows of a training job (one per instance group), from DescribeTrainingJob or a Search result."""
    in_warm_pool = job.get("TrainingJobStatus") != "InProgress"
    if in_warm_pool and (job.get("WarmPoolStatus") or {}).get("Status") != "Available":
        return []  # it ended, and its warm pool with it, since it was listed
    config = job.get("ResourceConfig") or {}
    groups = config.get("InstanceGroups") or [
        {"InstanceType": config.get("InstanceType"), "InstanceCount": config.get("InstanceCount")}
    ]
    return [
        resource_row(
            "warm_pool" if in_warm_pool else "training_job",
            job["TrainingJobName"],
            arn=job.get("TrainingJobArn"),
            instance_type=group.get("InstanceType"),
            count=group.get("InstanceCount"),
            status="WarmPool" if in_warm_pool else job.get("TrainingJobStatus"),
            keep_alive_seconds=config.get("KeepAlivePeriodInSeconds"),
            started=(
                job.get("TrainingEndTime") if in_warm_pool else job.get("TrainingStartTime") or job.get("CreationTime")
            ),
            component="training",
            spot=bool(job.get("EnableManagedSpotTraining")),
            idle=in_warm_pool or None,
        )
        for group in groups
    ]


def _bare_training(item: dict) -> list[dict]:
    return [
        resource_row(
            "training_job",
            item["TrainingJobName"],
            arn=item.get("TrainingJobArn"),
            status=item.get("TrainingJobStatus"),
            started=item.get("CreationTime"),
            component="training",
        )
    ]


def _bare_endpoint(item: dict) -> list[dict]:
    return [
        resource_row(
            "endpoint",
            item["EndpointName"],
            arn=item.get("EndpointArn"),
            status=item.get("EndpointStatus"),
            started=item.get("CreationTime"),
            component="hosting",
        )
    ]
