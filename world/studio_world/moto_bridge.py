"""The emulator's in-process handle on moto's state (both run in the emulator's process).

Used for what the AWS API cannot express when seeding (a training job that is still InProgress, an app that
started yesterday) and for UpdateDomain, which moto lacks, on the domains moto keeps.
"""

from __future__ import annotations

from datetime import datetime

from .awsproto import ACCOUNT_ID, AwsError, not_found


def sagemaker_backend(region: str):
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[ACCOUNT_ID][region]


def domain(region: str, domain_id: str):
    found = sagemaker_backend(region).domains.get(domain_id)
    if found is None:
        raise not_found(f'Domain "{domain_id}" does not exist in {region}.')
    return found


def studio_url(region: str, domain_id: str) -> str:
    return f"https://{domain_id}.studio.{region}.sagemaker.aws"


def reset_moto() -> None:
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


# kind → (backend dict attribute, {API field: moto attribute}) for the state seeding may set directly.
_OVERRIDABLE = {
    "training_job": (
        "training_jobs",
        {
            "TrainingJobStatus": "training_job_status",
            "SecondaryStatus": "secondary_status",
            "FinalMetricDataList": "final_metric_data_list",
            "CreationTime": "creation_time",
            "LastModifiedTime": "last_modified_time",
            "TrainingStartTime": "training_start_time",
            "TrainingEndTime": "training_end_time",
            "SecondaryStatusTransitions": "secondary_status_transitions",
            "FailureReason": "failure_reason",
            "MetricDefinitions": None,
        },
    ),
    "notebook_instance": (
        "notebook_instances",
        {
            "NotebookInstanceStatus": "status",
            "CreationTime": "creation_time",
            "LastModifiedTime": "last_modified_time",
        },
    ),
    "endpoint": (
        "endpoints",
        {
            "EndpointStatus": "endpoint_status",
            "CreationTime": "creation_time",
            "LastModifiedTime": "last_modified_time",
            "FailureReason": "failure_reason",
        },
    ),
}

_TIME_FIELDS = {"CreationTime", "LastModifiedTime", "TrainingStartTime", "TrainingEndTime"}


def override(region: str, kind: str, name: str, fields: dict) -> None:
    """Set API-level ``fields`` on moto's object ``name`` of ``kind``."""
    if kind not in _OVERRIDABLE:
        raise AwsError("ValidationException", f"Unknown resource kind '{kind}'.")
    attr, mapping = _OVERRIDABLE[kind]
    obj = getattr(sagemaker_backend(region), attr).get(name)
    if obj is None:
        raise not_found(f"{kind} '{name}' does not exist in {region}.")
    for field, value in fields.items():
        if field not in mapping:
            raise AwsError(
                "ValidationException",
                f"{kind} field '{field}' cannot be overridden; allowed: {', '.join(sorted(mapping))}.",
            )
        if field in _TIME_FIELDS:
            value = datetime.fromisoformat(value) if isinstance(value, str) else value
        if field == "FinalMetricDataList":
            value = [{**m, "Timestamp": _as_datetime(m.get("Timestamp")) or obj.creation_time} for m in value]
        if field == "MetricDefinitions":
            obj.algorithm_specification["MetricDefinitions"] = value
            continue
        setattr(obj, mapping[field], value)


def _as_datetime(value):
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value
