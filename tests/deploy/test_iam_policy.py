"""`studio-collab iam-policy`: every policy an admin gets is one an auditor signs.

Judged by parliament (an IAM linter with AWS's own action and resource database) and by rules written here from
IAM's semantics, not from iam.py's tables: no secret, delete or stop on ``*``; secrets exactly the configured ones;
DeleteApp only in the named domain; stops only of the kinds the admin enabled.
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from parliament import analyze_policy_string

from studio_collab.cli import main
from studio_collab.deploy.iam import PolicyScope, policy
from studio_collab.errors import StudioCollabError

README = Path(__file__).resolve().parents[2] / "README.md"
DOMAIN, REGION, ACCOUNT = "d-abc123def456", "us-east-1", "123456789012"
SCOPE = PolicyScope(domain=DOMAIN, region=REGION, account=ACCOUNT)
DESTRUCTIVE = re.compile(r":(Delete|Stop|Put|Update|Terminate|Remove|Attach|Detach)")


def readme_configs() -> dict[str, dict]:
    """The configurations the README calls typical: a ```json block right after `<!-- typical-config: NAME -->`."""
    text = README.read_text(encoding="utf-8")
    found = re.findall(r"<!-- typical-config: ([\w-]+) -->\s*```json\n(.*?)```", text, re.S)
    return {name: json.loads(body)["StudioCollabApp"] for name, body in found}


def statements_for(document: dict, action: str) -> list[dict]:
    return [s for s in document["Statement"] if action in s["Action"]]


def resources(statement: dict) -> list[str]:
    value = statement["Resource"]
    return [value] if isinstance(value, str) else list(value)


def allows(document: dict, action: str, arn: str) -> bool:
    """IAM's matching: the action named in an Allow statement whose resource pattern covers the ARN."""
    return any(fnmatchcase(arn, pattern) for s in statements_for(document, action) for pattern in resources(s))


def findings(document: dict) -> list[tuple[str, object]]:
    return [
        (f.issue, f.detail)
        for f in analyze_policy_string(json.dumps(document)).findings
        if not (f.issue == "UNKNOWN_ACTION" and newer_than_parliament(str(f.detail)))
    ]


def newer_than_parliament(detail: str) -> bool:
    """parliament's action database predates some SageMaker operations (the MLflow App family, 2025-26). An
    "unknown action" is excused only when botocore's service model, which AWS ships with every API change, has
    that operation (an IAM action of the same name); a misspelt or invented action is still a finding."""
    import botocore.session

    match = re.fullmatch(r"Unknown action (sagemaker):(\w+)", detail)
    if not match:
        return False
    return match.group(2) in botocore.session.get_session().get_service_model(match.group(1)).operation_names


def test_an_invented_action_is_still_a_finding():
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Invented", "Effect": "Allow", "Action": ["sagemaker:ListMlflowAppz"], "Resource": "*"}],
    }
    assert ("UNKNOWN_ACTION", "Unknown action sagemaker:ListMlflowAppz") in findings(document)


def auditor_checks(document: dict) -> None:
    assert findings(document) == []
    sids = [s["Sid"] for s in document["Statement"]]
    assert len(sids) == len(set(sids))
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow" and not any("*" in a for a in statement["Action"])
        risky = [a for a in statement["Action"] if a.startswith("secretsmanager:") or DESTRUCTIVE.search(a)]
        assert not (risky and "*" in resources(statement)), f"{risky} on Resource '*'"


def test_the_readme_has_typical_configs():
    assert {"minimal", "team"} <= set(readme_configs())


@pytest.mark.parametrize("name", sorted(readme_configs()))
def test_readme_typical_configs_pass_the_auditor(name):
    options = readme_configs()[name]
    document = policy(options, SCOPE)
    auditor_checks(document)
    named = [r["credentials_secret"] for r in options.get("repositories", []) if r.get("credentials_secret")]
    named += list(options.get("git_credentials", {}).values())
    granted = [p for s in statements_for(document, "secretsmanager:GetSecretValue") for p in resources(s)]
    if not named:
        assert not any(a.startswith("secretsmanager:") for s in document["Statement"] for a in s["Action"])
    for secret in named:  # each configured secret's real ARN (random 6-character suffix) is allowed, one pattern each
        arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{secret}-AbC123"
        assert sum(fnmatchcase(arn, p) for p in granted) == 1, (secret, granted)
    assert len(granted) == len(set(named))
    assert not allows(
        document,
        "secretsmanager:GetSecretValue",
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/db-password-AbC123",
    )


def test_delete_app_only_in_the_named_domain():
    document = policy({}, SCOPE)
    auditor_checks(document)
    mine = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:app/{DOMAIN}/team-space/jupyterlab/default"
    assert allows(document, "sagemaker:DeleteApp", mine)
    assert not allows(document, "sagemaker:DeleteApp", mine.replace(DOMAIN, "d-otherdomain1"))
    assert not allows(document, "sagemaker:DeleteApp", mine.replace(ACCOUNT, "210987654321"))
    # the spaces and profiles read are the domain's too
    assert allows(document, "sagemaker:DescribeSpace", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:space/{DOMAIN}/s")
    assert not allows(document, "sagemaker:DescribeSpace", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:space/d-x/s")


def test_without_a_domain_delete_app_is_refused_naming_the_option(capsys):
    with pytest.raises(StudioCollabError, match="--domain"):
        policy({}, PolicyScope(region=REGION, account=ACCOUNT))
    assert main(["iam-policy"]) == 2
    assert "--domain is required" in capsys.readouterr().err
    # with no app stops and no idle shutdown, no DeleteApp and so no domain needed
    document = policy({"cost_stop_kinds": []}, PolicyScope(region=REGION, account=ACCOUNT))
    assert statements_for(document, "sagemaker:DeleteApp") == []
    assert statements_for(document, "sagemaker:UpdateSpace") == []  # a space's timeout: one domain's, or none
    auditor_checks(document)


def test_stops_only_when_enabled_and_then_named_or_tagged():
    default = policy({}, SCOPE)
    for action in ("sagemaker:StopNotebookInstance", "sagemaker:StopMlflowTrackingServer"):
        assert statements_for(default, action) == []
    server = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:mlflow-tracking-server/team-mlflow"
    named = policy(
        {"cost_stop_kinds": ["app", "notebook_instance", "mlflow_tracking_server"], "mlflow_tracking_uri": server},
        PolicyScope(domain=DOMAIN, region=REGION, account=ACCOUNT, notebook_instances=("Team-NB",)),
    )
    auditor_checks(named)
    assert allows(
        named, "sagemaker:StopNotebookInstance", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/team-nb"
    )
    assert not allows(
        named, "sagemaker:StopNotebookInstance", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/other"
    )
    assert allows(named, "sagemaker:StopMlflowTrackingServer", server)
    assert not allows(named, "sagemaker:StopMlflowTrackingServer", server.replace("team-mlflow", "other"))
    # MLflow reads go to the configured server only
    assert allows(named, "sagemaker-mlflow:SearchRuns", server)
    assert not allows(named, "sagemaker-mlflow:SearchRuns", server.replace("team-mlflow", "other"))

    tagged = policy(
        {"cost_stop_kinds": ["notebook_instance", "mlflow_tracking_server"]},
        PolicyScope(domain=DOMAIN, region=REGION, account=ACCOUNT, stop_tag="team=ml"),
    )
    auditor_checks(tagged)
    for action in ("sagemaker:StopNotebookInstance", "sagemaker:StopMlflowTrackingServer"):
        [statement] = statements_for(tagged, action)
        assert statement["Condition"] == {"StringEquals": {"aws:ResourceTag/team": "ml"}}
    # notebook instances by default: only those a Studio profile made (the product then checks it is the viewer's)
    [statement] = statements_for(
        policy({"cost_stop_kinds": ["notebook_instance"]}, SCOPE), "sagemaker:StopNotebookInstance"
    )
    assert statement["Condition"] == {"Null": {"aws:ResourceTag/sagemaker:user-profile-arn": "false"}}
    auditor_checks(policy({"cost_stop_kinds": ["notebook_instance"]}, SCOPE))
    # tracking servers are account-wide: without a name or a tag there is nothing safe to grant
    with pytest.raises(StudioCollabError, match="--stop-tag"):
        policy({"cost_stop_kinds": ["mlflow_tracking_server"]}, SCOPE)


def test_optional_parts_follow_the_configuration():
    plain = {a for s in policy({}, SCOPE)["Statement"] for a in s["Action"]}
    assert not {"s3:PutObject", "ce:GetCostAndUsage", "pricing:GetProducts"} & plain
    full = policy(
        {
            "share_store": "s3",
            "share_s3_bucket": "team-bucket",
            "share_s3_prefix": "shares/",
            "cost_explorer_enabled": True,
            "price_refresh": True,
        },
        SCOPE,
    )
    auditor_checks(full)
    assert allows(full, "s3:PutObject", "arn:aws:s3:::team-bucket/shares/abc.json")
    assert not allows(full, "s3:PutObject", "arn:aws:s3:::team-bucket/other/abc.json")
    assert allows(full, "s3:ListBucket", "arn:aws:s3:::team-bucket")
    assert allows(full, "ce:GetCostAndUsage", "*") and allows(full, "pricing:GetProducts", "*")


def test_self_hosted_mlflow_needs_no_sagemaker_mlflow_grant():
    document = policy({"mlflow_tracking_uri": "https://mlflow.example.com"}, SCOPE)
    auditor_checks(document)
    assert not any(
        a.startswith("sagemaker-mlflow:") or "Presigned" in a for s in document["Statement"] for a in s["Action"]
    )


def test_cli_prints_the_scoped_policy(tmp_path, capsys):
    config = tmp_path / "c.json"
    config.write_text(
        json.dumps({"StudioCollabApp": {"git_credentials": {"https://git.example.com/team/": "git/team"}}})
    )
    assert (
        main(["iam-policy", "--config-json", str(config), "--domain", DOMAIN, "--region", REGION, "--account", ACCOUNT])
        == 0
    )
    document = json.loads(capsys.readouterr().out)
    auditor_checks(document)
    assert allows(
        document, "secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:git/team-x1y2z3"
    )
