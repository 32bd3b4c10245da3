"""SageMaker training jobs as runs: hyperparameters are params, final metrics are metrics.

ListTrainingJobs gives names, times and status; DescribeTrainingJob adds hyperparameters, final metrics,
instance type and count, billable seconds and the MLflow run a job logged to (``MlflowConfig``).
A finished job never changes, so its description is kept (bounded) instead of being asked for again on
every poll; running jobs are described afresh each time the short-TTL cache expires.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict

from ..errors import StudioCollabError, not_found
from ..studio.aws import AwsClients
from ..studio.cache import TtlCache
from .aws_source import AwsRunSource
from .lineage import code_from_hyperparameters, datasets_from_channels
from .run_order import RunOrder, unknown_key_error
from .window import epoch_ms, fan_out, page_of, require_region

ALL_JOBS = "all"
WINDOW = 500  # most recent jobs considered for ordering by a metric or hyperparameter
DESCRIBE_CONCURRENCY = 8
FINISHED = {"Completed", "Failed", "Stopped"}
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_KEPT_DESCRIPTIONS = 2000


class TrainingJobSource(AwsRunSource):
    name = "training-jobs"
    title = "SageMaker training jobs"

    def __init__(self, aws: AwsClients, cache: TtlCache, ttl: float, region: str | None):
        super().__init__(aws, cache, ttl, region)
        self._finished: OrderedDict[str, dict] = OrderedDict()

    async def experiments(self) -> list[dict]:
        require_region(self.region)
        # One call proves access; all jobs of the account and region form one "experiment".
        await self.aws.call("sagemaker", "ListTrainingJobs", region=self.region, MaxResults=1)
        return [{"source": self.name, "id": ALL_JOBS, "name": "All training jobs"}]

    async def experiment(self, experiment_id: str) -> dict:
        require_region(self.region)
        if experiment_id != ALL_JOBS:
            raise not_found(f"Training-job group '{experiment_id[:80]}'")
        return {"source": self.name, "id": ALL_JOBS, "name": "All training jobs"}

    async def runs(
        self, experiment_id: str, order: RunOrder, limit: int, page_token: str | None, filter_text: str | None
    ) -> dict:
        await self.experiment(experiment_id)
        summaries = await self.cache.get(
            ("experiments", self.name, "window", filter_text or ""), lambda: self._window(filter_text), self.ttl
        )
        if order.is_value:
            # Hyperparameters and metrics are only in the descriptions: describe the window, then sort.
            runs = order.sort(await fan_out(summaries, self._run_of_summary, DESCRIBE_CONCURRENCY))
            page, token, offset = page_of(runs, page_token, limit)
            if offset == 0 and page and order.value_of(page[0]) is None:
                raise unknown_key_error(order, page, bool(filter_text))
        else:
            ordered = order.sort(run_from_summary(s) for s in summaries)
            slim, token, _ = page_of(ordered, page_token, limit)
            page = await fan_out(slim, lambda r: self.run(r["id"]), DESCRIBE_CONCURRENCY)
        return {
            "runs": page,
            "next_page_token": token,
            "note": f"Ordered within the {WINDOW} most recent training jobs." if len(summaries) >= WINDOW else None,
        }

    async def run(self, run_id: str) -> dict:
        if not _NAME.match(run_id):
            raise not_found(f"Training job '{run_id[:80]}'")
        if run_id in self._finished:
            self._finished.move_to_end(run_id)
            return self._finished[run_id]
        try:
            described = await self.aws.call(
                "sagemaker", "DescribeTrainingJob", region=self.region, TrainingJobName=run_id
            )
        except StudioCollabError as err:
            if err.code in ("aws_not_found", "aws_validation"):  # AWS answers ValidationException "Could not find"
                raise not_found(f"Training job '{run_id[:80]}'") from None
            raise
        run = run_from_description(described)
        if run["status"] in FINISHED:
            self._finished[run_id] = run
            while len(self._finished) > _KEPT_DESCRIPTIONS:
                self._finished.popitem(last=False)
        return run

    async def run_in(self, experiment_id: str, run_id: str) -> dict:
        await self.experiment(experiment_id)
        return await self.run(run_id)

    async def metric_history(self, run_id: str, key: str) -> dict:
        raise StudioCollabError(
            "metric_history_unavailable",
            "SageMaker keeps only the final value of a training "
            "job's metrics (the full series is in CloudWatch); log to MLflow for history.",
            404,
        )

    async def _run_of_summary(self, summary: dict) -> dict:
        return await self.run(summary["TrainingJobName"])

    async def _window(self, filter_text: str | None) -> list[dict]:
        params = {"SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 100}
        if filter_text:
            params["NameContains"] = filter_text[:63]
        return await self.aws.paginate(
            "sagemaker", "ListTrainingJobs", "TrainingJobSummaries", region=self.region, limit=WINDOW, **params
        )


def run_from_summary(summary: dict) -> dict:
    return {
        "id": summary["TrainingJobName"],
        "name": summary["TrainingJobName"],
        "status": summary.get("TrainingJobStatus") or "Unknown",
        "start_time": epoch_ms(summary.get("CreationTime")),
        "end_time": epoch_ms(summary.get("TrainingEndTime")),
        "params": {},
        "metrics": {},
        "tags": {},
        "code": None,
        "data": [],
    }


def run_from_description(job: dict) -> dict:
    resources = job.get("ResourceConfig") or {}
    mlflow = job.get("MlflowConfig") or {}
    mlflow_details = job.get("MlflowDetails") or {}
    hyperparameters = {k: _hyperparameter(v) for k, v in (job.get("HyperParameters") or {}).items()}
    # The SageMaker SDK's own entries (sagemaker_program, sagemaker_submit_directory, ...) say where the code is,
    # not how it trained: they are the run's code, not its params.
    params = {k: v for k, v in hyperparameters.items() if not k.startswith("sagemaker_")}
    return {
        "id": job["TrainingJobName"],
        "name": job["TrainingJobName"],
        "status": job.get("TrainingJobStatus") or "Unknown",
        "start_time": epoch_ms(job.get("TrainingStartTime") or job.get("CreationTime")),
        "end_time": epoch_ms(job.get("TrainingEndTime")),
        "params": params,
        "metrics": {m["MetricName"]: m.get("Value") for m in job.get("FinalMetricDataList") or [] if "MetricName" in m},
        "tags": {},
        "code": code_from_hyperparameters(hyperparameters),
        "data": datasets_from_channels(job.get("InputDataConfig") or []),
        "experiment_id": ALL_JOBS,
        "source": TrainingJobSource.name,
        "details": {
            "instance_type": resources.get("InstanceType") or _first_group(resources, "InstanceType"),
            "instance_count": resources.get("InstanceCount") or _first_group(resources, "InstanceCount"),
            "billable_seconds": job.get("BillableTimeInSeconds"),
            "training_seconds": job.get("TrainingTimeInSeconds"),
            "secondary_status": job.get("SecondaryStatus"),
            "failure_reason": (job.get("FailureReason") or "")[:500] or None,
            "managed_spot": bool(job.get("EnableManagedSpotTraining")),
            "mlflow": {
                "resource_arn": mlflow.get("MlflowResourceArn"),
                "experiment_name": mlflow.get("MlflowExperimentName"),
                "run_name": mlflow.get("MlflowRunName"),
                "experiment_id": mlflow_details.get("MlflowExperimentId"),
                "run_id": mlflow_details.get("MlflowRunId"),
            }
            if mlflow
            else None,
        },
    }


def _hyperparameter(value: str) -> str:
    # The SageMaker SDK's framework estimators JSON-encode every hyperparameter ('"0.01"'): show the value.
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return decoded if isinstance(decoded, str) else value
    return value


def _first_group(resources: dict, field: str):
    groups = resources.get("InstanceGroups") or []
    return groups[0].get(field) if groups else None
