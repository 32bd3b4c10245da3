"""ListTrainingJobs as AWS answers it, over moto's training jobs.

moto's own version ignores SortBy/SortOrder, filters *after* cutting a page (so a StatusEquals page can be empty
while more match) and returns everything when MaxResults is absent; with 5,000 jobs that misleads a product
that asks for "the 20 newest InProgress jobs". moto knows nothing of warm pools either: a job that ended with
``ResourceConfig.KeepAlivePeriodInSeconds`` keeps its instances (``WarmPoolStatus`` Available) until that lapses,
and both ListTrainingJobs and DescribeTrainingJob here say so, as AWS does.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from . import moto_bridge
from .awsproto import page

SUMMARY = {
    "TrainingJobName": "training_job_name",
    "TrainingJobArn": "arn",
    "CreationTime": "creation_time",
    "TrainingEndTime": "training_end_time",
    "LastModifiedTime": "last_modified_time",
    "TrainingJobStatus": "training_job_status",
    "SecondaryStatus": "secondary_status",
}


def list_training_jobs(region: str, p: dict) -> dict:
    jobs = list(moto_bridge.sagemaker_backend(region).training_jobs.values())
    rows = []
    for job in jobs:
        row = {field: getattr(job, attr, None) for field, attr in SUMMARY.items()}
        row["WarmPoolStatus"] = warm_pool_status(job)
        if not _wanted(row, p):
            continue
        rows.append({k: v for k, v in row.items() if v is not None})
    key = {"Name": "TrainingJobName", "CreationTime": "CreationTime", "Status": "TrainingJobStatus"}[
        p.get("SortBy") or "CreationTime"
    ]
    rows.sort(key=lambda r: (r.get(key) is None, r.get(key)), reverse=(p.get("SortOrder") == "Descending"))
    return page(rows, p, "TrainingJobSummaries")


def describe_training_job(region: str, p: dict) -> dict:
    from moto.sagemaker.exceptions import ValidationError

    backend = moto_bridge.sagemaker_backend(region)
    try:
        answer = dict(backend.describe_training_job(p["TrainingJobName"]))
    except ValidationError as err:
        from .awsproto import AwsError

        raise AwsError("ValidationException", err.message) from err
    warm = warm_pool_status(backend.training_jobs[p["TrainingJobName"]])
    if warm is not None:
        answer["WarmPoolStatus"] = warm
    return {k: v for k, v in answer.items() if v is not None}


def warm_pool_status(job) -> dict | None:
    keep_alive = (getattr(job, "resource_config", None) or {}).get("KeepAlivePeriodInSeconds")
    if not keep_alive:
        return None
    ended = getattr(job, "training_end_time", None)
    if job.training_job_status not in ("Completed", "Stopped") or ended is None:
        return {"Status": "InUse"} if job.training_job_status == "InProgress" else {"Status": "Terminated"}
    ended = ended if ended.tzinfo else ended.replace(tzinfo=timezone.utc)
    now = datetime.now(timezone.utc)
    if now < ended + timedelta(seconds=int(keep_alive)):
        return {"Status": "Available", "ResourceRetainedBillableTimeInSeconds": int((now - ended).total_seconds())}
    return {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": int(keep_alive)}


def _wanted(row: dict, p: dict) -> bool:
    if p.get("WarmPoolStatusEquals") and (row.get("WarmPoolStatus") or {}).get("Status") != p["WarmPoolStatusEquals"]:
        return False
    if p.get("NameContains") and p["NameContains"] not in row["TrainingJobName"]:
        return False
    if p.get("StatusEquals") and row["TrainingJobStatus"] != p["StatusEquals"]:
        return False
    for param, field, after in (
        ("CreationTimeAfter", "CreationTime", True),
        ("CreationTimeBefore", "CreationTime", False),
        ("LastModifiedTimeAfter", "LastModifiedTime", True),
        ("LastModifiedTimeBefore", "LastModifiedTime", False),
    ):
        if p.get(param) is None:
            continue
        limit = datetime.fromtimestamp(float(p[param]), tz=timezone.utc)
        value = row[field]
        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        if (value <= limit) if after else (value >= limit):
            return False
    return True
