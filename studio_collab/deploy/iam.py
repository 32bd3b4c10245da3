"""`studio-collab iam-policy`: a least-privilege policy for the execution role, from one table.

``FEATURE_ACTIONS`` lists every AWS action each feature calls. tests/deploy/test_iam_table.py drives every route
against the local Studio world and fails when the actions actually called differ from this table, so the
policy cannot silently fall behind the code.
"""

from __future__ import annotations

import json
import re

# Keys are features (and the optional parts an admin switches on); values are IAM actions.
FEATURE_ACTIONS: dict[str, list[str]] = {
    # Studio context for every feature: who owns this space, the domain's settings (studio/service.py).
    "core": [
        "sagemaker:DescribeDomain",
        "sagemaker:DescribeSpace",
        "sagemaker:DescribeUserProfile",
    ],
    # Repo catalog and private-repo tokens (git/).
    "git": [
        "secretsmanager:GetSecretValue",
    ],
    # Share links: the domain's shared spaces (share/); the folder store needs no more AWS.
    "share": [
        "sagemaker:ListSpaces",
    ],
    # MLflow tracking servers (their REST API is authorized as sagemaker-mlflow:*), training jobs, legacy
    # Experiments (experiments/).
    "experiments": [
        "sagemaker:ListMlflowTrackingServers",
        "sagemaker:ListMlflowApps",  # serverless MLflow Apps first: the domain's default, then the account's
        "sagemaker:CreatePresignedMlflowTrackingServerUrl",
        "sagemaker:CreatePresignedMlflowAppUrl",
        "sagemaker:ListTrainingJobs",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:ListExperiments",
        "sagemaker:ListTrials",
        "sagemaker:ListTrialComponents",
        "sagemaker:DescribeTrialComponent",
        "sagemaker-mlflow:SearchExperiments",
        "sagemaker-mlflow:GetExperiment",
        "sagemaker-mlflow:SearchRuns",
        "sagemaker-mlflow:GetRun",
        "sagemaker-mlflow:GetMetricHistory",
    ],
    # What runs and what it costs, idle shutdown, stop buttons, the domain posture card (cost/).
    "cost": [
        "sagemaker:ListApps",
        "sagemaker:ListSpaces",
        "sagemaker:ListNotebookInstances",
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:ListTrainingJobs",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:ListProcessingJobs",
        "sagemaker:DescribeProcessingJob",
        "sagemaker:ListTransformJobs",
        "sagemaker:DescribeTransformJob",
        "sagemaker:ListMlflowTrackingServers",
        "sagemaker:DescribeMlflowTrackingServer",
        # Running training jobs and endpoints, whole, a hundred per call. Without it the feature falls back to
        # ListEndpoints + DescribeEndpoint (and the training-job List/Describe above): granting Search is fewer
        # actions and far fewer calls.
        "sagemaker:Search",
        "sagemaker:DeleteApp",
        "sagemaker:DescribeNotebookInstance",  # the Stop button checks it still runs
        "sagemaker:StopNotebookInstance",
        "sagemaker:StopMlflowTrackingServer",
        "ec2:DescribeVpcs",
        "iam:ListAttachedRolePolicies",
        # The forgotten resources (row C9): inference components, scheduled notebook jobs (jupyter-scheduler's
        # pipelines), MLflow Apps, and the owner tags Studio puts on them.
        "sagemaker:ListInferenceComponents",
        "sagemaker:DescribeInferenceComponent",
        "sagemaker:DescribePipeline",
        "sagemaker:ListMlflowApps",
        "sagemaker:ListTags",
        "sagemaker:UpdateSpace",  # the space owner sets its own idle timeout (row C11)
    ],
    # Optional parts, off unless the admin enables them.
    "share_s3": ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],  # share_store = "s3"
    "cost_explorer": ["ce:GetCostAndUsage"],  # cost_explorer_enabled
    "price_refresh": ["pricing:GetProducts"],  # price_refresh
}

DEFAULT_FEATURES = ("core", "git", "share", "experiments", "cost")

# Calls a feature makes only when an action of the table is denied, to keep working on older policies. The policy
# leaves them out (least privilege); the tests accept them as calls of that feature.
FALLBACK_ACTIONS: dict[str, str] = {
    "sagemaker:ListEndpoints": "cost, when sagemaker:Search is denied",
    "sagemaker:DescribeEndpoint": "cost, when sagemaker:Search is denied",
}

# API operations whose IAM action has another name (S3 authorizes by object/bucket verbs, not by API).
OPERATION_ACTIONS: dict[str, tuple[str, ...]] = {
    "s3:HeadObject": ("s3:GetObject",),
    "s3:HeadBucket": ("s3:ListBucket",),
    "s3:ListObjects": ("s3:ListBucket",),
    "s3:ListObjectsV2": ("s3:ListBucket",),
    "s3:DeleteObjects": ("s3:DeleteObject",),
    "s3:CopyObject": ("s3:GetObject", "s3:PutObject"),
    "s3:CreateMultipartUpload": ("s3:PutObject",),
    "s3:UploadPart": ("s3:PutObject",),
    "s3:CompleteMultipartUpload": ("s3:PutObject",),
}


# MLflow REST endpoints (after /api/2.0/mlflow/) → the IAM action a SageMaker tracking server checks.
MLFLOW_REST_ACTIONS: dict[str, str] = {
    "experiments/search": "sagemaker-mlflow:SearchExperiments",
    "experiments/get": "sagemaker-mlflow:GetExperiment",
    "runs/search": "sagemaker-mlflow:SearchRuns",
    "runs/get": "sagemaker-mlflow:GetRun",
    "metrics/get-history": "sagemaker-mlflow:GetMetricHistory",
}


def iam_actions(operations) -> set[str]:
    """The IAM actions that authorize these API calls (``"s3:ListObjectsV2"`` → ``"s3:ListBucket"``)."""
    actions: set[str] = set()
    for operation in operations:
        actions.update(OPERATION_ACTIONS.get(operation, (operation,)))
    return actions


def features_for_config(options: dict) -> list[str]:
    """The table keys a configuration needs: the default features plus the optional parts it switches on."""
    features = list(DEFAULT_FEATURES)
    if options.get("share_store") == "s3":
        features.append("share_s3")
    if options.get("cost_explorer_enabled"):
        features.append("cost_explorer")
    if options.get("price_refresh"):
        features.append("price_refresh")
    return features


def _sid(*words: str) -> str:
    return "StudioCollab" + "".join(re.sub(r"[^A-Za-z0-9]", "", w.title()) for w in words)


def policy(features=DEFAULT_FEATURES, share_s3_bucket: str | None = None,
           share_s3_prefix: str = "studio-collab/shares/", secrets: list[str] | None = None) -> dict:
    """An IAM policy document granting exactly the table's actions of ``features``.

    S3 and Secrets Manager actions are scoped to the share bucket/prefix and the named secrets when given;
    SageMaker's List* actions do not support resource-level scoping, so they stay on ``*``.
    """
    unknown = [f for f in features if f not in FEATURE_ACTIONS]
    if unknown:
        raise ValueError(f"unknown feature(s) {', '.join(unknown)}; known: {', '.join(FEATURE_ACTIONS)}")
    by_service: dict[str, set[str]] = {}
    for feature in dict.fromkeys(["core", *features]):  # core always: every feature reads the context
        for action in FEATURE_ACTIONS[feature]:
            by_service.setdefault(action.split(":", 1)[0], set()).add(action)
    statements = []
    for service in sorted(by_service):
        actions = sorted(by_service[service])
        if service == "s3" and share_s3_bucket:
            prefix = share_s3_prefix.lstrip("/")
            object_actions = [a for a in actions if a != "s3:ListBucket"]
            if object_actions:
                statements.append({"Sid": _sid("share", "objects"), "Effect": "Allow", "Action": object_actions,
                                   "Resource": f"arn:aws:s3:::{share_s3_bucket}/{prefix}*"})
            if "s3:ListBucket" in actions:
                statements.append({"Sid": _sid("share", "bucket"), "Effect": "Allow", "Action": ["s3:ListBucket"],
                                   "Resource": f"arn:aws:s3:::{share_s3_bucket}"})
            continue
        resource: str | list[str] = "*"
        if service == "secretsmanager" and secrets:
            # A name matches its ARN, whose last part has a random 6-character suffix.
            resource = sorted(s if s.startswith("arn:") else f"arn:aws:secretsmanager:*:*:secret:{s}-??????"
                              for s in secrets)
        statements.append({"Sid": _sid(service), "Effect": "Allow", "Action": actions, "Resource": resource})
    return {"Version": "2012-10-17", "Statement": statements}


def policy_for_config(options: dict, features=None) -> dict:
    """The policy for an admin configuration (the same options ``studio-collab lcc`` writes)."""
    secrets = [r["credentials_secret"] for r in options.get("repositories") or []
               if isinstance(r, dict) and r.get("credentials_secret")]
    bucket = options.get("share_s3_bucket") if options.get("share_store") == "s3" else None
    return policy(features or features_for_config(options), share_s3_bucket=bucket,
                  share_s3_prefix=options.get("share_s3_prefix", "studio-collab/shares/"), secrets=secrets or None)


def render(document: dict) -> str:
    return json.dumps(document, indent=2) + "\n"
