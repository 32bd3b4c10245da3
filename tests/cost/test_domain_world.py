"""GET domain (setup posture) for the demo (Quick setup) and manual (production) scenarios."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.world


async def posture(jp_fetch) -> dict:
    return json.loads((await jp_fetch("studio-collab", "domain")).body)


def finding_ids(answer: dict) -> set:
    return {f["id"] for f in answer["findings"]}


async def test_demo_domain_looks_like_quick_setup(world_env, jp_fetch, openapi_validator):
    answer = await posture(jp_fetch)
    openapi_validator.validate("get", "/domain", 200, answer)
    assert answer["verdict"] == "quick"
    assert (answer["auth_mode"], answer["network_access"], answer["kms_key_id"]) == ("IAM", "PublicInternetOnly", None)
    assert answer["vpc"] == {"id": world_env.seed.vpc_id, "is_default": True}
    assert answer["execution_role"] == world_env.seed.execution_role_arn
    assert answer["execution_role_full_access"] in (True, False)
    assert {"public_internet", "default_vpc", "no_kms_key", "iam_auth", "quick_setup"} <= finding_ids(answer)
    calls = world_env.calls()
    assert calls.get("ec2:DescribeVpcs", 0) >= 1 and calls.get("iam:ListAttachedRolePolicies", 0) >= 1, calls


async def test_full_access_role_is_a_finding(world_env, jp_fetch):
    iam = world_env.client("iam")
    role = world_env.seed.execution_role_arn.rsplit("/", 1)[-1]
    # The emulator's IAM holds no AWS-managed policies; a policy of the same name is attached the same way.
    policy = iam.create_policy(
        PolicyName="AmazonSageMakerFullAccess",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}]}
        ),
    )
    iam.attach_role_policy(RoleName=role, PolicyArn=policy["Policy"]["Arn"])
    answer = await posture(jp_fetch)
    assert answer["execution_role_full_access"] is True
    assert "full_access_role" in finding_ids(answer)


@pytest.mark.world_scenario("manual")
async def test_manual_domain_is_manual(world_env, jp_fetch, openapi_validator):
    answer = await posture(jp_fetch)
    openapi_validator.validate("get", "/domain", 200, answer)
    assert answer["verdict"] == "manual"
    assert (answer["auth_mode"], answer["network_access"]) == ("SSO", "VpcOnly")
    assert answer["kms_key_id"] == world_env.seed.kms_key_id and answer["kms_key_id"]
    assert answer["vpc"]["is_default"] is False
    assert {"vpc_only", "dedicated_vpc", "kms_key", "sso_auth"} <= finding_ids(answer)
    assert "quick_setup" not in finding_ids(answer)


async def test_no_permission_for_the_vpc_check_leaves_it_unknown(world_env, jp_fetch):
    world_env.fault("ec2:DescribeVpcs", "access_denied")
    answer = await posture(jp_fetch)
    assert answer["verdict"] == "unknown" and answer["vpc"]["is_default"] is None
    assert any("ec2:DescribeVpcs" in f["message"] for f in answer["findings"])


async def test_no_permission_for_the_domain_is_unknown_not_an_error(world_env, jp_fetch):
    world_env.fault("sagemaker:DescribeDomain", "access_denied")
    answer = await posture(jp_fetch)
    assert answer["verdict"] == "unknown" and answer["available"] is True
    assert "sagemaker:DescribeDomain" in answer["findings"][0]["message"]
