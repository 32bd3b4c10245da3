"""The posture rules: Quick only when every core sign points there, Manual on any deliberate choice."""

from __future__ import annotations

import pytest

from studio_collab.domain.posture import PostureFacts, assess, role_name

QUICK_DOMAIN = {
    "DomainId": "d-quick",
    "AuthMode": "IAM",
    "AppNetworkAccessType": "PublicInternetOnly",
    "VpcId": "vpc-default",
    "SubnetIds": ["subnet-a"],
}


def ids(findings):
    return {f["id"] for f in findings}


def test_quick_setup_signature():
    verdict, findings = assess(PostureFacts(QUICK_DOMAIN, vpc_is_default=True, role_full_access=True))
    assert verdict == "quick"
    assert {"public_internet", "default_vpc", "no_kms_key", "iam_auth", "full_access_role", "quick_setup"} <= ids(
        findings
    )
    by_id = {f["id"]: f for f in findings}
    assert "proofs of concept" in by_id["public_internet"]["message"]
    assert "vpc-default" in by_id["default_vpc"]["message"]
    assert all(f["severity"] in {"ok", "info", "warning"} for f in findings)


@pytest.mark.parametrize(
    "change,expected_ok",
    [
        ({"AppNetworkAccessType": "VpcOnly"}, "vpc_only"),
        ({"KmsKeyId": "arn:aws:kms:us-east-1:1:key/abc"}, "kms_key"),
        ({"AuthMode": "SSO"}, "sso_auth"),
    ],
)
def test_any_deliberate_choice_makes_it_manual(change, expected_ok):
    verdict, findings = assess(PostureFacts({**QUICK_DOMAIN, **change}, vpc_is_default=True))
    assert verdict == "manual"
    assert expected_ok in ids(findings)
    assert "quick_setup" not in ids(findings)


def test_dedicated_vpc_is_manual_but_public_internet_still_warned():
    verdict, findings = assess(PostureFacts(QUICK_DOMAIN, vpc_is_default=False, role_full_access=False))
    assert verdict == "manual"
    assert {"dedicated_vpc", "public_internet", "no_kms_key", "scoped_role"} <= ids(findings)


def test_unknown_vpc_leaves_the_verdict_unknown_and_says_why():
    gap = "Could not check whether the VPC is the default one: No permission for ec2:DescribeVpcs."
    verdict, findings = assess(PostureFacts(QUICK_DOMAIN, vpc_is_default=None, gaps=[gap]))
    assert verdict == "unknown"
    assert any(f["message"] == gap and f["severity"] == "info" for f in findings)


def test_role_name_drops_the_path():
    assert (
        role_name("arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-1")
        == "AmazonSageMaker-ExecutionRole-1"
    )
    assert role_name("arn:aws:iam::123456789012:user/alice") is None
    assert role_name(None) is None
