"""boto3 round-trips through the emulator's own SageMaker operations (botocore validates both directions)."""

import base64
import time

import pytest
from botocore.exceptions import ClientError

from tests.helpers import wait_until


def _code(err: pytest.ExceptionInfo) -> str:
    return err.value.response["Error"]["Code"]


def test_user_profiles(world):
    sm = world.client("sagemaker")
    arn = sm.create_user_profile(
        DomainId=world.domain_id,
        UserProfileName="dave",
        UserSettings={
            "JupyterLabAppSettings": {"CodeRepositories": [{"RepositoryUrl": world.catalog_url("churn-model")}]}
        },
    )["UserProfileArn"]
    assert arn.endswith(f"user-profile/{world.domain_id}/dave")
    described = sm.describe_user_profile(DomainId=world.domain_id, UserProfileName="dave")
    assert described["Status"] == "InService"
    assert described["UserSettings"]["JupyterLabAppSettings"]["CodeRepositories"][0]["RepositoryUrl"].startswith(
        "https://"
    )
    names = [
        p["UserProfileName"]
        for p in sm.list_user_profiles(DomainIdEquals=world.domain_id, SortBy="CreationTime", SortOrder="Ascending")[
            "UserProfiles"
        ]
    ]
    assert names == ["alice", "bob", "carol", "dave"]
    with pytest.raises(ClientError) as err:
        sm.create_user_profile(DomainId=world.domain_id, UserProfileName="dave")
    assert _code(err) == "ResourceInUse"
    with pytest.raises(ClientError) as err:
        sm.delete_user_profile(DomainId=world.domain_id, UserProfileName="alice")  # still owns spaces
    assert _code(err) == "ResourceInUse"
    sm.delete_user_profile(DomainId=world.domain_id, UserProfileName="dave")
    with pytest.raises(ClientError) as err:
        sm.describe_user_profile(DomainId=world.domain_id, UserProfileName="dave")
    assert _code(err) == "ResourceNotFound"


def test_spaces_describe_list_update_delete(world):
    sm = world.client("sagemaker")
    team = sm.describe_space(DomainId=world.domain_id, SpaceName="team-space")
    assert team["SpaceSharingSettings"] == {"SharingType": "Shared"}
    assert team["OwnershipSettings"] == {"OwnerUserProfileName": "alice"}
    assert team["Url"].startswith("https://") and team["Url"].endswith(".studio.us-east-1.sagemaker.aws")
    assert team["SpaceSettings"]["JupyterLabAppSettings"]["CodeRepositories"] == [
        {"RepositoryUrl": world.catalog_url("churn-model")}
    ]
    shared = [
        s["SpaceName"]
        for s in sm.list_spaces(DomainIdEquals=world.domain_id)["Spaces"]
        if s["SpaceSharingSettingsSummary"]["SharingType"] == "Shared"
        and s["SpaceSettingsSummary"]["AppType"] == "JupyterLab"
    ]
    assert shared == ["team-space"]
    sm.update_space(
        DomainId=world.domain_id,
        SpaceName="team-space",
        SpaceDisplayName="Churn team",
        SpaceSettings={"JupyterLabAppSettings": {"CodeRepositories": []}},
    )
    updated = sm.describe_space(DomainId=world.domain_id, SpaceName="team-space")
    assert updated["SpaceDisplayName"] == "Churn team"
    assert updated["SpaceSettings"]["JupyterLabAppSettings"]["CodeRepositories"] == []
    assert updated["SpaceSettings"]["AppType"] == "JupyterLab"
    with pytest.raises(ClientError) as err:
        sm.delete_space(DomainId=world.domain_id, SpaceName="team-space")  # its app still runs
    assert _code(err) == "ResourceInUse"
    sm.create_space(
        DomainId=world.domain_id,
        SpaceName="scratch",
        SpaceSettings={"AppType": "JupyterLab"},
        OwnershipSettings={"OwnerUserProfileName": "bob"},
        SpaceSharingSettings={"SharingType": "Private"},
    )
    sm.delete_space(DomainId=world.domain_id, SpaceName="scratch")
    with pytest.raises(ClientError) as err:
        sm.describe_space(DomainId=world.domain_id, SpaceName="scratch")
    assert _code(err) == "ResourceNotFound"


def test_space_validation_like_aws(world):
    sm = world.client("sagemaker")
    with pytest.raises(ClientError) as err:  # Studio accepts https URLs without a port only
        sm.create_space(
            DomainId=world.domain_id,
            SpaceName="x",
            SpaceSettings={
                "JupyterLabAppSettings": {"CodeRepositories": [{"RepositoryUrl": "http://git.example.com/a.git"}]}
            },
        )
    assert _code(err) == "ValidationException"
    assert "repositoryUrl" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        sm.create_space(DomainId=world.domain_id, SpaceName="bad_name!")
    assert _code(err) == "ValidationException"
    with pytest.raises(ClientError) as err:
        sm.create_space(
            DomainId=world.domain_id,
            SpaceName="nobody",
            OwnershipSettings={"OwnerUserProfileName": "nobody"},
            SpaceSharingSettings={"SharingType": "Private"},
        )
    assert _code(err) == "ResourceNotFound"
    with pytest.raises(ClientError) as err:
        sm.describe_space(DomainId="d-nodomain", SpaceName="alice-space")
    assert _code(err) == "ResourceNotFound"


def test_apps_lifecycle_and_filters(world):
    world.settings(transition_seconds=2.0)  # the state right after a call is the transition's, whatever the load
    sm = world.client("sagemaker")
    apps = sm.list_apps(DomainIdEquals=world.domain_id)["Apps"]
    assert {(a["SpaceName"], a["ResourceSpec"]["InstanceType"], a["Status"]) for a in apps} == {
        ("alice-space", "ml.t3.medium", "InService"),
        ("bob-space", "ml.g4dn.xlarge", "InService"),
        ("team-space", "ml.m5.xlarge", "InService"),
    }
    created = [a["CreationTime"] for a in apps]
    assert created == sorted(created, reverse=True)  # newest first by default
    ident = {"DomainId": world.domain_id, "SpaceName": "bob-space", "AppType": "JupyterLab", "AppName": "default"}
    described = sm.describe_app(**ident)
    assert described["AppArn"].endswith("app/d-demo/bob-space/jupyterlab/default")
    assert time.time() - described["CreationTime"].timestamp() > 29 * 3600  # seeded "30 hours ago"
    sm.delete_app(**ident)
    assert sm.describe_app(**ident)["Status"] == "Deleting"
    with pytest.raises(ClientError) as err:
        sm.delete_app(**ident)
    assert _code(err) == "ResourceInUse"
    # deleted apps stay visible, like AWS
    assert (
        wait_until(lambda: sm.describe_app(**ident)["Status"] != "Deleting")
        and sm.describe_app(**ident)["Status"] == "Deleted"
    )
    sm.create_app(**ident, ResourceSpec={"InstanceType": "ml.t3.large"})
    assert sm.describe_app(**ident)["Status"] == "Pending"
    assert (
        wait_until(lambda: sm.describe_app(**ident)["Status"] != "Pending")
        and sm.describe_app(**ident)["Status"] == "InService"
    )
    only_bob = sm.list_apps(DomainIdEquals=world.domain_id, SpaceNameEquals="bob-space")["Apps"]
    assert [a["ResourceSpec"]["InstanceType"] for a in only_bob] == ["ml.t3.large"]
    assert sm.list_apps(DomainIdEquals=world.domain_id, UserProfileNameEquals="alice")["Apps"] == []
    with pytest.raises(ClientError) as err:
        sm.create_app(DomainId=world.domain_id, UserProfileName="alice", AppType="JupyterLab", AppName="default")
    assert _code(err) == "ValidationException"


def test_list_pagination_and_bad_token(world):
    sm = world.client("sagemaker")
    for i in range(5):
        sm.create_user_profile(DomainId=world.domain_id, UserProfileName=f"extra-{i}")
    first = sm.list_user_profiles(DomainIdEquals=world.domain_id, MaxResults=3)
    assert len(first["UserProfiles"]) == 3 and first["NextToken"]
    pages = list(
        sm.get_paginator("list_user_profiles").paginate(
            DomainIdEquals=world.domain_id, PaginationConfig={"PageSize": 3}
        )
    )
    names = [p["UserProfileName"] for page in pages for p in page["UserProfiles"]]
    assert len(pages) == 3 and len(names) == len(set(names)) == 8
    with pytest.raises(ClientError) as err:
        sm.list_user_profiles(NextToken="not-a-token")
    assert _code(err) == "ValidationException"
    with pytest.raises(ClientError) as err:
        sm.list_apps(MaxResults=101)
    assert _code(err) == "ValidationException"


def test_presigned_domain_url_iam_only(world):
    sm = world.client("sagemaker")
    url = sm.create_presigned_domain_url(
        DomainId=world.domain_id,
        UserProfileName="alice",
        SpaceName="team-space",
        LandingUri="app:JupyterLab:lab/tree/train.ipynb",
    )["AuthorizedUrl"]
    assert url.startswith("https://d-demo.studio.us-east-1.sagemaker.aws/auth?token=")
    with pytest.raises(ClientError) as err:
        sm.create_presigned_domain_url(
            DomainId=world.domain_id, UserProfileName="alice", LandingUri="app:JupyterLab:lab"
        )
    assert _code(err) == "ValidationException"
    with pytest.raises(ClientError) as err:
        sm.create_presigned_domain_url(DomainId=world.domain_id, UserProfileName="zed")
    assert _code(err) == "ResourceNotFound"


@pytest.mark.world_scenario("manual")
def test_manual_scenario_is_sso_vpc_only_with_kms(world):
    sm = world.client("sagemaker")
    domain = sm.describe_domain(DomainId=world.domain_id)
    assert (domain["AuthMode"], domain["AppNetworkAccessType"]) == ("SSO", "VpcOnly")
    assert domain["KmsKeyId"].startswith("arn:aws:kms:")
    vpc = world.client("ec2").describe_vpcs(VpcIds=[domain["VpcId"]])["Vpcs"][0]
    assert vpc["IsDefault"] is False and vpc["CidrBlock"] == "10.42.0.0/16"
    with pytest.raises(ClientError) as err:  # no pre-signed URLs in SSO domains, like AWS
        sm.create_presigned_domain_url(DomainId=world.domain_id, UserProfileName="dana")
    assert _code(err) == "ValidationException"
    assert (
        sm.describe_user_profile(DomainId=world.domain_id, UserProfileName="dana")["SingleSignOnUserValue"]
        == "dana@example.com"
    )


def test_lifecycle_configs_and_attaching_them(world):
    sm = world.client("sagemaker")
    content = base64.b64encode(b"#!/bin/bash\npip install studio-collab\n").decode()
    arn = sm.create_studio_lifecycle_config(
        StudioLifecycleConfigName="install-studio-collab",
        StudioLifecycleConfigContent=content,
        StudioLifecycleConfigAppType="JupyterLab",
    )["StudioLifecycleConfigArn"]
    described = sm.describe_studio_lifecycle_config(StudioLifecycleConfigName="install-studio-collab")
    assert described["StudioLifecycleConfigContent"] == content
    listed = sm.list_studio_lifecycle_configs(AppTypeEquals="JupyterLab")["StudioLifecycleConfigs"]
    assert [c["StudioLifecycleConfigArn"] for c in listed] == [arn]
    sm.update_domain(
        DomainId=world.domain_id,
        DefaultUserSettings={
            "JupyterLabAppSettings": {
                "LifecycleConfigArns": [arn],
                "DefaultResourceSpec": {"InstanceType": "ml.t3.medium", "LifecycleConfigArn": arn},
            }
        },
    )
    lab = sm.describe_domain(DomainId=world.domain_id)["DefaultUserSettings"]["JupyterLabAppSettings"]
    assert lab["LifecycleConfigArns"] == [arn]
    assert lab["CodeRepositories"]  # members not given are kept
    sm.update_user_profile(
        DomainId=world.domain_id,
        UserProfileName="bob",
        UserSettings={"JupyterLabAppSettings": {"LifecycleConfigArns": [arn]}},
    )
    assert sm.describe_user_profile(DomainId=world.domain_id, UserProfileName="bob")["UserSettings"][
        "JupyterLabAppSettings"
    ]["LifecycleConfigArns"] == [arn]
    with pytest.raises(ClientError) as err:
        sm.delete_studio_lifecycle_config(StudioLifecycleConfigName="install-studio-collab")  # still attached
    assert _code(err) == "ResourceInUse"
    with pytest.raises(ClientError) as err:
        sm.update_domain(
            DomainId=world.domain_id,
            DefaultUserSettings={"JupyterLabAppSettings": {"LifecycleConfigArns": [arn.replace("install", "missing")]}},
        )
    assert _code(err) == "ResourceNotFound"
    with pytest.raises(ClientError) as err:
        sm.create_studio_lifecycle_config(
            StudioLifecycleConfigName="raw",
            StudioLifecycleConfigContent="#!/bin/bash",
            StudioLifecycleConfigAppType="JupyterLab",
        )
    assert _code(err) == "ValidationException"
