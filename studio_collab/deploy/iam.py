"""`studio-collab iam-policy`: a least-privilege policy for the execution role.

``FEATURE_ACTIONS`` lists every AWS action each feature may call; :func:`policy` grants each on the narrowest
resource IAM has for it: secrets by ARN, DeleteApp on one domain's apps, stops only of the kinds the admin enabled
(``cost_stop_kinds``) and then on named resources or a tag condition, MLflow on the configured server.
tests/deploy/test_iam_table.py drives every route against the local Studio world and checks each call the world
saw against the generated policy, resources included; test_iam_policy.py lints every policy with parliament.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..errors import StudioCollabError

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
    # What runs and what it costs, idle shutdown, stop buttons, the domain posture card (domain/).
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
        "sagemaker:ListTags",  # ...and who created it (sagemaker:user-profile-arn), when notebook stops are enabled
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


# --- the policy ---------------------------------------------------------------------------------------------
# Every action gets the narrowest resource IAM knows for it. SageMaker's List* actions, Search, ec2:DescribeVpcs,
# Cost Explorer and the Price List take no resource at all, so "*" is the only thing IAM accepts for them; every
# other action is scoped below, and a destructive one (Delete*, Stop*, Put*, secrets) is never granted on "*".
STOP_KINDS = ("app", "notebook_instance", "mlflow_tracking_server", "mlflow_app")
DEFAULT_STOP_KINDS = ("app",)
_SAGEMAKER_RESOURCE = {  # action → ARN resource path, "{domain}" filled in; parliament's database names the types
    "sagemaker:DescribeDomain": "domain/{domain}",
    "sagemaker:DescribeSpace": "space/{domain}/*",
    "sagemaker:DescribeUserProfile": "user-profile/{domain}/*",
    "sagemaker:DeleteApp": "app/{domain}/*",
    "sagemaker:DescribeTrainingJob": "training-job/*",
    "sagemaker:DescribeProcessingJob": "processing-job/*",
    "sagemaker:DescribeTransformJob": "transform-job/*",
    "sagemaker:DescribeEndpointConfig": "endpoint-config/*",
    "sagemaker:DescribeTrialComponent": "experiment-trial-component/*",
    "sagemaker:DescribeNotebookInstance": "notebook-instance/*",
    "sagemaker:DescribeMlflowTrackingServer": "mlflow-tracking-server/*",
    "sagemaker:DescribeInferenceComponent": "inference-component/*",
    "sagemaker:DescribePipeline": "pipeline/*",
    "sagemaker:UpdateSpace": "space/{domain}/*",
}
_MLFLOW_SERVER_ACTIONS = ("sagemaker:CreatePresignedMlflowTrackingServerUrl", *MLFLOW_REST_ACTIONS.values())
_MLFLOW_APP_ACTIONS = ("sagemaker:CreatePresignedMlflowAppUrl",)
_ANY_RESOURCE_SERVICES = ("ce", "pricing", "ec2")
_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<kind>mlflow-tracking-server|mlflow-app)/(?P<name>[A-Za-z0-9-]+)$"
)
_DOMAIN_ID = re.compile(r"^d-[a-z0-9]{1,63}$")
_TAG = re.compile(r"^(?P<key>[\w.:/+@-]{1,128})=(?P<value>[\w.:/=+@ -]{0,256})$")
_SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:")


@dataclass
class PolicyScope:
    """Where the product may act: the account, region and Studio domain the execution role serves."""

    domain: str | None = None
    region: str = "*"
    account: str = "*"
    partition: str = "aws"
    notebook_instances: tuple[str, ...] = ()  # the notebook instances users may stop, by name
    stop_tag: str | None = None  # KEY=VALUE: stop notebook instances / tracking servers carrying this tag

    def sagemaker_arn(self, path: str) -> str:
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.account}:{path}"

    def domain_arn(self) -> str:
        return self.sagemaker_arn(f"domain/{self.domain}")


def _sid(*words: str) -> str:
    return "StudioCollab" + "".join(re.sub(r"[^A-Za-z0-9]", "", w.title()) for w in words)


def stop_kinds(options: dict) -> list[str]:
    """``cost_stop_kinds`` of the configuration (the kinds an admin lets users stop), checked."""
    kinds = options.get("cost_stop_kinds", list(DEFAULT_STOP_KINDS))
    if not isinstance(kinds, (list, tuple)) or any(k not in STOP_KINDS for k in kinds):
        raise StudioCollabError("iam_bad_option", f"cost_stop_kinds must be a list of {', '.join(STOP_KINDS)}.")
    return list(kinds)


def _mlflow_target(options: dict) -> tuple[str, str | None]:
    """("server"|"app", its ARN) for a configured SageMaker ARN; ("discovered", None) when the product finds the
    domain's tracking server itself; ("self-hosted", None) for an http(s) MLflow the role plays no part in."""
    uri = (options.get("mlflow_tracking_uri") or "").strip()
    if not uri:
        return "discovered", None
    if uri.startswith(("http://", "https://")):
        return "self-hosted", None
    match = _ARN.match(uri)
    if not match:
        raise StudioCollabError(
            "iam_bad_option",
            "mlflow_tracking_uri must be an http(s) URL or the ARN of a SageMaker MLflow tracking server or app.",
        )
    return ("server" if match["kind"] == "mlflow-tracking-server" else "app"), uri


def _secret_resources(options: dict, scope: PolicyScope) -> list[str]:
    named = [r.get("credentials_secret") for r in options.get("repositories") or [] if isinstance(r, dict)]
    named += list((options.get("git_credentials") or {}).values())
    resources = set()
    for secret in filter(None, named):
        # A name matches its ARN, whose last part has a random 6-character suffix.
        resources.add(
            secret
            if _SECRET_ARN.match(secret)
            else f"arn:{scope.partition}:secretsmanager:{scope.region}:{scope.account}:secret:{secret}-??????"
        )
    return sorted(resources)


def _stop_resources(
    kind_path: str, named: list[str], scope: PolicyScope, option: str, default_condition: dict | None = None
) -> tuple[list[str], dict | None]:
    """Named resources, else every one of the kind that carries the admin's stop tag (or the kind's own tag)."""
    if named:
        return sorted(named), None
    if not scope.stop_tag and default_condition:
        return [scope.sagemaker_arn(f"{kind_path}/*")], default_condition
    if not scope.stop_tag:
        raise StudioCollabError(
            "iam_needs_option",
            f"Stopping {option} needs the resources it may touch: name them "
            "(--notebook-instance, or mlflow_tracking_uri = the server's ARN) or pass --stop-tag "
            "KEY=VALUE to allow only resources carrying that tag.",
        )
    match = _TAG.match(scope.stop_tag)
    if not match:
        raise StudioCollabError("iam_bad_option", "--stop-tag takes KEY=VALUE.")
    return [scope.sagemaker_arn(f"{kind_path}/*")], {
        "StringEquals": {f"aws:ResourceTag/{match['key']}": match["value"]}
    }


def policy(options: dict | None = None, scope: PolicyScope | None = None, features=None) -> dict:
    """The IAM policy document for an admin configuration (the options ``studio-collab lcc`` writes)."""
    options, scope = dict(options or {}), scope or PolicyScope()
    if scope.domain is not None and not _DOMAIN_ID.match(scope.domain):
        raise StudioCollabError("iam_bad_option", f"--domain {scope.domain!r} is not a Studio domain id (d-…).")
    features = list(features or features_for_config(options))
    unknown = [f for f in features if f not in FEATURE_ACTIONS]
    if unknown:
        raise StudioCollabError(
            "iam_bad_option", f"unknown feature(s) {', '.join(unknown)}; known: {', '.join(FEATURE_ACTIONS)}"
        )
    actions = sorted({a for f in dict.fromkeys(["core", *features]) for a in FEATURE_ACTIONS[f]})
    kinds = stop_kinds(options) if "cost" in features else []
    mlflow_kind, mlflow_arn = _mlflow_target(options)
    grants: dict[tuple[str, tuple[str, ...], str], set[str]] = {}  # (purpose, resources, condition) → actions

    def grant(purpose: str, action: str, resources: list[str], condition: dict | None = None) -> None:
        key = (purpose, tuple(resources), json.dumps(condition, sort_keys=True) if condition else "")
        grants.setdefault(key, set()).add(action)

    for action in actions:
        service = action.split(":", 1)[0]
        if action == "secretsmanager:GetSecretValue":
            secrets = _secret_resources(options, scope)
            if secrets:  # no secret configured: no Secrets Manager statement at all
                grant("git secrets", action, secrets)
        elif action == "sagemaker:DeleteApp":
            if "app" in kinds or options.get("idle_shutdown_minutes"):
                if not scope.domain:
                    raise StudioCollabError(
                        "iam_needs_option",
                        "--domain is required: sagemaker:DeleteApp (stop "
                        "buttons, idle shutdown) is granted on the apps of one domain only.",
                    )
                grant(
                    "stop apps", action, [scope.sagemaker_arn(_SAGEMAKER_RESOURCE[action].format(domain=scope.domain))]
                )
        elif action == "sagemaker:StopNotebookInstance":
            if "notebook_instance" in kinds:
                named = [scope.sagemaker_arn(f"notebook-instance/{n.lower()}") for n in scope.notebook_instances]
                # The product stops only an instance tagged with the viewer's profile (cost/stop.py); IAM allows
                # only instances a Studio profile made, which carry that tag.
                resources, condition = _stop_resources(
                    "notebook-instance",
                    named,
                    scope,
                    "notebook instances",
                    {"Null": {"aws:ResourceTag/sagemaker:user-profile-arn": "false"}},
                )
                grant("stop notebook instances", action, resources, condition)
        elif action == "sagemaker:StopMlflowTrackingServer":
            if "mlflow_tracking_server" in kinds:
                named = [mlflow_arn] if mlflow_kind == "server" else []
                resources, condition = _stop_resources(
                    "mlflow-tracking-server", named, scope, "MLflow tracking servers"
                )
                grant("stop mlflow tracking servers", action, resources, condition)
        elif action in _MLFLOW_SERVER_ACTIONS:
            if mlflow_kind == "server":
                grant("mlflow", action, [mlflow_arn])
            elif mlflow_kind == "discovered":
                grant("mlflow", action, [scope.sagemaker_arn("mlflow-tracking-server/*")])
        elif action in _MLFLOW_APP_ACTIONS:
            if mlflow_kind == "app":
                grant("mlflow app", action, [mlflow_arn])
        elif action == "sagemaker:UpdateSpace":  # the space owner sets its idle timeout: this domain's spaces only
            if scope.domain:  # without --domain it is not granted (never on every domain's spaces)
                grant(
                    "update spaces",
                    action,
                    [scope.sagemaker_arn(_SAGEMAKER_RESOURCE[action].format(domain=scope.domain))],
                )
        elif action in _SAGEMAKER_RESOURCE:
            path = _SAGEMAKER_RESOURCE[action]
            if "{domain}" in path:
                path = path.format(domain=scope.domain or "*")
            grant(f"read {path.split('/')[0]}", action, [scope.sagemaker_arn(path)])
        elif action == "iam:ListAttachedRolePolicies":  # the domain card: which policies the roles carry
            grant("read roles", action, [f"arn:{scope.partition}:iam::{scope.account}:role/*"])
        elif service == "s3":
            bucket = options.get("share_s3_bucket")
            if not bucket:
                raise StudioCollabError(
                    "iam_needs_option",
                    "share_store 's3' needs share_s3_bucket: S3 actions are granted on that bucket only.",
                )
            if action == "s3:ListBucket":
                grant("share bucket", action, [f"arn:{scope.partition}:s3:::{bucket}"])
            else:
                prefix = (options.get("share_s3_prefix") or "studio-collab/shares/").lstrip("/")
                grant("share objects", action, [f"arn:{scope.partition}:s3:::{bucket}/{prefix}*"])
        elif service == "sagemaker" or service in _ANY_RESOURCE_SERVICES:
            grant("list", action, ["*"])  # IAM takes no resource for these (List*, Search, ce, pricing, ec2)
        else:
            raise StudioCollabError("iam_unscoped_action", f"{action} has no resource rule in iam.py.", 500)
    statements = []
    for (purpose, resources, condition), granted_actions in sorted(grants.items()):
        statement = {
            "Sid": _sid(purpose),
            "Effect": "Allow",
            "Action": sorted(granted_actions),
            "Resource": resources[0] if len(resources) == 1 else list(resources),
        }
        if condition:
            statement["Condition"] = json.loads(condition)
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def render(document: dict) -> str:
    return json.dumps(document, indent=2) + "\n"
