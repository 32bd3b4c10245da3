"""`studio-collab iam-policy`: the policy grants exactly the table's actions, scoped where IAM allows it."""

from __future__ import annotations

import json

import pytest

from studio_collab.deploy.iam import DEFAULT_FEATURES, FEATURE_ACTIONS, iam_actions, policy, policy_for_config


def granted(document: dict) -> set[str]:
    return {action for statement in document["Statement"] for action in statement["Action"]}


def test_default_policy_grants_the_default_features_and_nothing_else():
    document = policy()
    expected = {a for f in DEFAULT_FEATURES for a in FEATURE_ACTIONS[f]}
    assert granted(document) == expected
    assert all(s["Effect"] == "Allow" for s in document["Statement"])
    assert not any("*" in a for a in granted(document)), "no wildcard actions"
    sids = [s["Sid"] for s in document["Statement"]]
    assert len(sids) == len(set(sids))


def test_one_feature_gets_core_plus_its_own_actions():
    assert granted(policy(["cost"])) == set(FEATURE_ACTIONS["core"]) | set(FEATURE_ACTIONS["cost"])


def test_optional_parts_follow_the_configuration():
    plain = granted(policy_for_config({}))
    assert "s3:PutObject" not in plain and "ce:GetCostAndUsage" not in plain and "pricing:GetProducts" not in plain
    full = granted(policy_for_config({"share_store": "s3", "share_s3_bucket": "team-bucket",
                                      "cost_explorer_enabled": True, "price_refresh": True}))
    assert {"s3:PutObject", "s3:ListBucket", "ce:GetCostAndUsage", "pricing:GetProducts"} <= full


def test_s3_and_secrets_are_scoped_to_the_configured_resources():
    document = policy_for_config({"share_store": "s3", "share_s3_bucket": "team-bucket",
                                  "share_s3_prefix": "shares/",
                                  "repositories": [{"url": "https://git.example.com/a.git",
                                                    "credentials_secret": "team/git-token"}]})
    by_action = {a: s["Resource"] for s in document["Statement"] for a in s["Action"]}
    assert by_action["s3:PutObject"] == "arn:aws:s3:::team-bucket/shares/*"
    assert by_action["s3:ListBucket"] == "arn:aws:s3:::team-bucket"
    assert by_action["secretsmanager:GetSecretValue"] == ["arn:aws:secretsmanager:*:*:secret:team/git-token-??????"]
    json.dumps(document)  # serialisable as is


def test_unknown_feature_is_refused():
    with pytest.raises(ValueError, match="unknown feature"):
        policy(["gti"])


def test_api_operations_map_to_iam_actions():
    assert iam_actions(["s3:ListObjectsV2", "s3:HeadObject", "sagemaker:ListApps"]) == {
        "s3:ListBucket", "s3:GetObject", "sagemaker:ListApps"}
