"""The world's MLflow Apps, inference components, warm pools and tags, through boto3 (botocore's model checks
every shape)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/r"


def test_mlflow_apps_defaults_and_presigned_url(world):
    sm = world.client("sagemaker")
    world.settings(0)
    first = sm.create_mlflow_app(
        Name="team-app",
        ArtifactStoreUri="s3://b/a",
        RoleArn=ROLE,
        AccountDefaultStatus="ENABLED",
        DefaultDomainIdList=[world.domain_id],
        Tags=[{"Key": "sagemaker:user-profile-arn", "Value": "arn:x/alice"}],
    )["Arn"]
    second = sm.create_mlflow_app(
        Name="other-app", ArtifactStoreUri="s3://b/b", RoleArn=ROLE, AccountDefaultStatus="ENABLED"
    )["Arn"]
    # One account default at a time, as in AWS: the newer one took it.
    defaults = sm.list_mlflow_apps(AccountDefaultStatus="ENABLED")["Summaries"]
    assert [a["Arn"] for a in defaults] == [second]
    for_domain = sm.list_mlflow_apps(DefaultForDomainId=world.domain_id)["Summaries"]
    assert [a["Arn"] for a in for_domain] == [first]
    described = sm.describe_mlflow_app(Arn=first)
    assert described["Status"] == "Created" and described["DefaultDomainIdList"] == [world.domain_id]
    assert sm.list_tags(ResourceArn=first)["Tags"] == [{"Key": "sagemaker:user-profile-arn", "Value": "arn:x/alice"}]
    assert sm.create_presigned_mlflow_app_url(Arn=first)["AuthorizedUrl"].startswith("https://")
    sm.delete_mlflow_app(Arn=second)
    with pytest.raises(ClientError) as err:
        sm.describe_mlflow_app(Arn=second)
    assert err.value.response["Error"]["Code"] == "ResourceNotFound"


def test_inference_components_on_an_endpoint(world):
    sm = world.client("sagemaker")
    world.settings(0)
    with pytest.raises(ClientError):
        sm.create_inference_component(
            InferenceComponentName="x",
            EndpointName="no-such-endpoint",
            VariantName="AllTraffic",
            Specification={"ModelName": "m"},
            RuntimeConfig={"CopyCount": 1},
        )
    sm.create_inference_component(
        InferenceComponentName="ic-1",
        EndpointName="churn-model-prod",
        VariantName="AllTraffic",
        Specification={
            "ModelName": "m",
            "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 512, "NumberOfCpuCoresRequired": 1},
        },
        RuntimeConfig={"CopyCount": 3},
    )
    listed = sm.list_inference_components(EndpointNameEquals="churn-model-prod", StatusEquals="InService")[
        "InferenceComponents"
    ]
    assert "ic-1" in {c["InferenceComponentName"] for c in listed}
    assert sm.describe_inference_component(InferenceComponentName="ic-1")["RuntimeConfig"] == {
        "DesiredCopyCount": 3,
        "CurrentCopyCount": 3,
    }


def test_warm_pool_status_follows_keep_alive(world):
    sm = world.client("sagemaker")
    for name, keep_alive, ended_minutes_ago in (("warm", 3600, 10), ("lapsed", 600, 30), ("cold", None, 5)):
        config = {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10}
        if keep_alive:
            config["KeepAlivePeriodInSeconds"] = keep_alive
        sm.create_training_job(
            TrainingJobName=name,
            RoleArn=ROLE,
            ResourceConfig=config,
            AlgorithmSpecification={"TrainingImage": "i", "TrainingInputMode": "File"},
            OutputDataConfig={"S3OutputPath": "s3://b/o"},
            StoppingCondition={"MaxRuntimeInSeconds": 60},
        )
        ended = (datetime.now(timezone.utc) - timedelta(minutes=ended_minutes_ago)).isoformat()
        world.override(
            "training_job",
            {"Name": name},
            {"TrainingJobStatus": "Completed", "TrainingEndTime": ended, "LastModifiedTime": ended},
        )
    available = sm.list_training_jobs(WarmPoolStatusEquals="Available")["TrainingJobSummaries"]
    assert [j["TrainingJobName"] for j in available] == ["warm"]
    assert sm.describe_training_job(TrainingJobName="warm")["WarmPoolStatus"]["Status"] == "Available"
    assert sm.describe_training_job(TrainingJobName="lapsed")["WarmPoolStatus"]["Status"] == "Terminated"
    assert "WarmPoolStatus" not in sm.describe_training_job(TrainingJobName="cold")
