"""The `studio-collab` command as an admin runs it: a separate process through the installed console script,
its output judged by outside tools (parliament for the policy; bash -n, base64 and the script's own settings for the
lifecycle configuration), exit codes and stderr included."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.deploy.test_iam_policy import ACCOUNT, DOMAIN, REGION, allows, auditor_checks, findings
from tests.deploy.test_lcc_script import SHA, WHEEL, settings_of

REPO = Path(__file__).resolve().parents[2]
SECRET_NAME = "studio-collab/git/team"


def studio_collab(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The console script of this environment, importing this checkout's code first."""
    script = shutil.which("studio-collab", path=str(Path(sys.executable).parent)) or "studio-collab"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    env.pop("AWS_ENDPOINT_URL", None)  # printing a policy or a script needs no AWS at all
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO.parent)


def test_the_console_script_runs_this_checkout():
    answer = studio_collab("--help")
    assert answer.returncode == 0, answer.stderr
    for command in ("demo", "lcc", "iam-policy", "doctor"):
        assert command in answer.stdout


def test_iam_policy_from_the_cli_passes_parliament_and_is_scoped(tmp_path):
    config = tmp_path / "admin.json"
    config.write_text(
        json.dumps(
            {
                "StudioCollabApp": {
                    "repositories": [
                        {"url": "https://git.example.com/team/repo.git", "credentials_secret": SECRET_NAME}
                    ],
                    "share_store": "s3",
                    "share_s3_bucket": "team-shares",
                    "cost_stop_kinds": ["app", "notebook_instance"],
                }
            }
        )
    )
    answer = studio_collab(
        "iam-policy", "--config-json", str(config), "--domain", DOMAIN, "--region", REGION, "--account", ACCOUNT
    )
    assert answer.returncode == 0, answer.stderr
    document = json.loads(answer.stdout)
    assert findings(document) == []  # parliament: known actions, resources of the right type, no malformed ARN
    auditor_checks(document)
    assert allows(
        document,
        "secretsmanager:GetSecretValue",
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{SECRET_NAME}-a1b2c3",
    )
    assert not allows(
        document,
        "secretsmanager:GetSecretValue",
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:someone-else-a1b2c3",
    )
    # the share store's objects, under its default prefix only
    assert allows(document, "s3:PutObject", "arn:aws:s3:::team-shares/studio-collab/shares/s1/content")
    assert not allows(document, "s3:PutObject", "arn:aws:s3:::team-shares/someone-elses/data")
    assert not allows(document, "s3:PutObject", "arn:aws:s3:::another-bucket/studio-collab/shares/s1/content")
    assert allows(
        document,
        "sagemaker:DeleteApp",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:app/{DOMAIN}/alice-space/jupyterlab/default",
    )
    assert not allows(
        document,
        "sagemaker:DeleteApp",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:app/d-otherdomain/alice-space/jupyterlab/default",
    )


def test_iam_policy_refusal_exits_non_zero_with_the_reason_on_stderr():
    answer = studio_collab("iam-policy", "--features", "core", "made-up-feature")
    assert answer.returncode != 0 and answer.stdout == ""
    assert "made-up-feature" in answer.stderr


def test_lcc_from_the_cli_is_valid_bash_carrying_the_settings(tmp_path):
    repo = "https://git.example.com/team/notebooks.git"
    answer = studio_collab(
        "lcc",
        "--wheel",
        WHEEL,
        "--wheel-sha256",
        SHA,
        "--repo",
        repo,
        "--share-s3-bucket",
        "team-shares",
        "--idle-shutdown-minutes",
        "90",
    )
    assert answer.returncode == 0, answer.stderr
    script = answer.stdout
    assert script.startswith("#!/bin/bash")
    checked = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    settings = settings_of(script)
    assert settings["STUDIO_COLLAB_WHEEL"] == WHEEL and settings["STUDIO_COLLAB_WHEEL_SHA256"] == SHA, settings
    config = json.loads(settings["STUDIO_COLLAB_CONFIG"])["StudioCollabApp"]
    assert [r["url"] for r in config["repositories"]] == [repo]
    assert config["share_s3_bucket"] == "team-shares"
    assert "90" in script  # the idle shutdown the admin asked for
    # what Studio stores: the same script, base64-encoded
    encoded = studio_collab(
        "lcc",
        "--wheel",
        WHEEL,
        "--wheel-sha256",
        SHA,
        "--repo",
        repo,
        "--share-s3-bucket",
        "team-shares",
        "--idle-shutdown-minutes",
        "90",
        "--base64",
    )
    assert encoded.returncode == 0, encoded.stderr
    assert base64.b64decode(encoded.stdout.strip()).decode() == script


def test_lcc_refuses_a_token_in_a_repo_url_and_prints_no_script():
    answer = studio_collab(
        "lcc", "--wheel", WHEEL, "--wheel-sha256", SHA, "--repo", "https://u:tok3n-xyz@git.example.com/a.git"
    )
    assert answer.returncode != 0 and answer.stdout == ""
    assert "tok3n-xyz" not in answer.stderr  # the secret is not echoed back either
