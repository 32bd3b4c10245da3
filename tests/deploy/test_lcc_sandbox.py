"""The generated LCC runs in a sandbox image twice, and `--attach` registers it without losing other LCCs."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from studio_collab import __version__
from studio_collab.cli import main
from studio_collab.deploy.lcc import LccSpec, render_script
from tests.deploy.images import node_free_env

# The first run builds the image venv (about a minute); later runs reuse it.
pytestmark = [pytest.mark.world, pytest.mark.timeout(900)]

WHEEL_BUCKET = "studio-collab-artifacts"
SOURCE = ("--wheel", "s3://bucket/studio_collab-0.1.0-py3-none-any.whl", "--wheel-sha256", "ab" * 32)
CONFIG = {
    "environment_label": "installed by the LCC",
    "idle_shutdown_minutes": 120,
    "repositories": [{"url": "https://git.example.com/team/models.git", "branch": "main"}],
}


def stand_in_restart(tmp: Path) -> tuple[Path, Path]:
    """`restart-jupyter-server` as Studio images have it (supervisorctl restart), recording each call instead."""
    bin_dir, record = tmp / "studio-bin", tmp / "restarts.log"
    bin_dir.mkdir()
    script = bin_dir / "restart-jupyter-server"
    script.write_text(f"#!/bin/bash\necho restarted >> {record}\n")
    script.chmod(0o755)
    return bin_dir, record


def run_script(script: str, env: dict, cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = subprocess.run(["bash", "-s"], input=script, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    return result, time.monotonic() - started


def script_env(world, venv, tmp_path: Path) -> tuple[dict, Path]:
    """The app's environment while the LCC runs: the image's venv, the world as AWS, a recording restart."""
    bin_dir, restarts = stand_in_restart(tmp_path)
    env = node_free_env(
        venv,
        tmp_path,
        STUDIO_COLLAB_PYTHON=str(venv.python),
        STUDIO_COLLAB_LCC_LOG=str(tmp_path / "app_container.log"),
        AWS_ENDPOINT_URL=world.emulator_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=world.region,
        AWS_DEFAULT_REGION=world.region,
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
    )
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    return env, restarts


def upload_wheel(world, wheel: Path, body: bytes | None = None) -> str:
    s3 = world.client("s3")
    s3.create_bucket(Bucket=WHEEL_BUCKET)
    key = f"studio-collab/{wheel.name}"
    s3.put_object(Bucket=WHEEL_BUCKET, Key=key, Body=wheel.read_bytes() if body is None else body)
    return f"s3://{WHEEL_BUCKET}/{key}"


def generate(capsys, *args: str) -> str:
    """`studio-collab lcc` as an admin runs it (the sha256 is read from the object in the world's S3)."""
    assert main(["lcc", *args]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_lcc_installs_the_recorded_wheel_from_s3_then_changes_nothing(
    world_env, image_venv, project_wheel, tmp_path, capsys
):
    uri = upload_wheel(world_env, project_wheel)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps({"StudioCollabApp": CONFIG}))
    world_env.clear_calls()
    script = generate(capsys, "--wheel", uri, "--config-json", str(config_path))
    assert world_env.calls().get("s3:GetObject") == 1  # the generator read the wheel to record its sha256
    assert hashlib.sha256(project_wheel.read_bytes()).hexdigest() in script

    env, restarts = script_env(world_env, image_venv, tmp_path)
    config_file = image_venv.prefix_config / "jupyter_studio_collab_config.json"
    try:
        world_env.clear_calls()
        first, _ = run_script(script, env, tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "copying s3://" in first.stdout and "sha256 of the wheel checked" in first.stdout
        assert f"installing studio-collab {__version__}" in first.stdout
        assert image_venv.has("studio_collab")
        assert json.loads(config_file.read_text()) == {"StudioCollabApp": CONFIG}
        assert restarts.read_text().splitlines() == ["restarted"]
        assert world_env.calls().get("s3:GetObject", 0) >= 1  # the wheel came from the world's S3
        # How long it took is a row of benchmarks/bench_deploy.py ("LCC first run", budget 20 s); here only that it
        # ended inside the 300 s Studio allows a whole LCC (run_script's timeout).
        log_file = tmp_path / "app_container.log"
        assert log_file.read_text().count("studio-collab-lcc:") == first.stdout.count("studio-collab-lcc:")

        config_mtime = config_file.stat().st_mtime_ns
        world_env.clear_calls()
        second, _ = run_script(script, env, tmp_path)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "nothing changed" in second.stdout and "installing" not in second.stdout
        assert config_file.stat().st_mtime_ns == config_mtime
        assert restarts.read_text().splitlines() == ["restarted"]  # no second restart
        assert world_env.calls().get("s3:GetObject", 0) == 0  # not even a download

        # The Jupyter server of the image reads the file the LCC wrote.
        probe = (
            "from jupyter_server.serverapp import ServerApp\n"
            "s = ServerApp()\n"
            "s.initialize(['--ServerApp.root_dir=.'], find_extensions=True, new_httpserver=False)\n"
            "app = next(iter(s.extension_manager.extension_apps['studio_collab']))\n"
            "print(app.environment_label, float(app.idle_shutdown_minutes))\n"
        )
        seen = subprocess.run(
            [str(image_venv.python), "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
        )
        assert seen.stdout.strip().splitlines()[-1] == "installed by the LCC 120.0", seen.stderr[-2000:]
    finally:
        image_venv.reset()


def test_a_wheel_that_is_not_the_recorded_one_is_refused(world_env, image_venv, project_wheel, tmp_path):
    uri = upload_wheel(world_env, project_wheel)
    recorded = hashlib.sha256(project_wheel.read_bytes()).hexdigest()
    script = render_script(LccSpec(wheel=uri, wheel_sha256=recorded))
    # someone with write access to the bucket replaces the object after the LCC was made
    world_env.client("s3").put_object(
        Bucket=WHEEL_BUCKET, Key=uri.split("/", 3)[3], Body=project_wheel.read_bytes() + b"tampered"
    )
    env, restarts = script_env(world_env, image_venv, tmp_path)
    result, _ = run_script(script, env, tmp_path)
    assert result.returncode != 0
    assert f"ERROR: refusing to install {uri}: its sha256 is" in result.stdout and recorded in result.stdout
    assert not image_venv.has("studio_collab")
    assert not restarts.exists()


def test_codeartifact_token_is_fetched_at_run_time(world_env, image_venv, project_wheel, tmp_path):
    """A mirror for missing dependencies: the script asks the world's CodeArtifact for a token when it runs; the
    token is in no script, argv or log line."""
    uri = upload_wheel(world_env, project_wheel)
    mirror = "https://team-123456789012.d.codeartifact.us-east-1.amazonaws.com/pypi/studio/simple/"
    script = render_script(
        LccSpec(wheel=uri, wheel_sha256=hashlib.sha256(project_wheel.read_bytes()).hexdigest(), index_url=mirror)
    )
    env, _ = script_env(world_env, image_venv, tmp_path)
    try:
        world_env.clear_calls()
        result, _ = run_script(script, env, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "CodeArtifact token fetched for team" in result.stdout
        journal = [e for e in world_env.control.journal() if e["operation"] == "codeartifact:GetAuthorizationToken"]
        assert [(e["params"]["domain"], e["params"]["domainOwner"]) for e in journal] == [("team", "123456789012")]
        token = re.compile(r"ca-[A-Za-z0-9_-]{32}")  # the shape of the world's tokens
        for text in (script, result.stdout, result.stderr, (tmp_path / "app_container.log").read_text()):
            assert not token.search(text)
        assert image_venv.has("studio_collab")
    finally:
        image_venv.reset()


def test_lcc_failure_is_logged_and_exits_non_zero(world_env, image_venv, tmp_path):
    script = render_script(
        LccSpec(wheel=f"s3://{WHEEL_BUCKET}/missing/studio_collab-0.1.0-py3-none-any.whl", wheel_sha256="0" * 64)
    )
    env, _ = script_env(world_env, image_venv, tmp_path)
    result, _ = run_script(script, env, tmp_path)
    assert result.returncode != 0
    assert f"ERROR: could not copy s3://{WHEEL_BUCKET}/missing/" in result.stdout
    assert "ERROR:" in (tmp_path / "app_container.log").read_text()
    assert not image_venv.has("studio_collab")


def attach(*args: str, capsys) -> dict:
    assert main(["lcc", "--attach", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_attach_to_domain_keeps_existing_lccs(world_env, capsys):
    sm = world_env.client("sagemaker")
    other = sm.create_studio_lifecycle_config(
        StudioLifecycleConfigName="team-conda-setup",
        StudioLifecycleConfigAppType="JupyterLab",
        StudioLifecycleConfigContent="IyEvYmluL2Jhc2gKZWNobyBoaQo=",
    )["StudioLifecycleConfigArn"]
    settings = sm.describe_domain(DomainId=world_env.domain_id)["DefaultUserSettings"]["JupyterLabAppSettings"]
    sm.update_domain(
        DomainId=world_env.domain_id,
        DefaultUserSettings={"JupyterLabAppSettings": {**settings, "LifecycleConfigArns": [other]}},
    )

    result = attach("--domain", world_env.domain_id, *SOURCE, "--make-default", capsys=capsys)
    assert result["created"] and result["updated"]
    assert result["iam_policy_command"].endswith(f"--domain {world_env.domain_id}")  # the policy for this domain
    after = sm.describe_domain(DomainId=world_env.domain_id)["DefaultUserSettings"]["JupyterLabAppSettings"]
    assert after["LifecycleConfigArns"] == [other, result["lifecycle_config_arn"]]
    assert after["DefaultResourceSpec"]["LifecycleConfigArn"] == result["lifecycle_config_arn"]
    # every other JupyterLab setting of the domain survives
    assert after["CodeRepositories"] == settings["CodeRepositories"]
    lcc = sm.describe_studio_lifecycle_config(StudioLifecycleConfigName=result["lifecycle_config_name"])
    assert lcc["StudioLifecycleConfigAppType"] == "JupyterLab"

    again = attach("--domain", world_env.domain_id, *SOURCE, "--make-default", capsys=capsys)
    assert not again["created"] and not again["updated"]
    assert again["lifecycle_config_arn"] == result["lifecycle_config_arn"]


def test_attach_to_user_profile_keeps_its_lccs(world_env, capsys):
    sm = world_env.client("sagemaker")
    mine = sm.create_studio_lifecycle_config(
        StudioLifecycleConfigName="alice-dotfiles",
        StudioLifecycleConfigAppType="JupyterLab",
        StudioLifecycleConfigContent="IyEvYmluL2Jhc2gKZWNobyBoaQo=",
    )["StudioLifecycleConfigArn"]
    sm.update_user_profile(
        DomainId=world_env.domain_id,
        UserProfileName="alice",
        UserSettings={"JupyterLabAppSettings": {"LifecycleConfigArns": [mine]}},
    )
    result = attach(
        "--domain",
        world_env.domain_id,
        "--user-profile",
        "alice",
        "--name",
        "studio-collab-alice",
        *SOURCE,
        capsys=capsys,
    )
    profile = sm.describe_user_profile(DomainId=world_env.domain_id, UserProfileName="alice")
    assert profile["UserSettings"]["JupyterLabAppSettings"]["LifecycleConfigArns"] == [
        mine,
        result["lifecycle_config_arn"],
    ]
    domain = sm.describe_domain(DomainId=world_env.domain_id)["DefaultUserSettings"]["JupyterLabAppSettings"]
    assert result["lifecycle_config_arn"] not in domain.get("LifecycleConfigArns", [])


def test_attach_refuses_a_taken_name_with_other_content(world_env, capsys):
    sm = world_env.client("sagemaker")
    sm.create_studio_lifecycle_config(
        StudioLifecycleConfigName="studio-collab-fixed",
        StudioLifecycleConfigAppType="JupyterLab",
        StudioLifecycleConfigContent="IyEvYmluL2Jhc2gK",
    )
    assert main(["lcc", "--attach", "--domain", world_env.domain_id, "--name", "studio-collab-fixed", *SOURCE]) == 2
    assert "already exists with other content" in capsys.readouterr().err


def test_attach_without_permission_names_the_action(world_env, capsys):
    world_env.fault("sagemaker:CreateStudioLifecycleConfig", "access_denied")
    assert main(["lcc", "--attach", "--domain", world_env.domain_id, *SOURCE]) == 2
    assert "sagemaker:CreateStudioLifecycleConfig" in capsys.readouterr().err
    assert os.environ["AWS_ENDPOINT_URL"] == world_env.emulator_url


def test_without_a_codeartifact_token_nothing_is_installed(world_env, image_venv, project_wheel, tmp_path):
    uri = upload_wheel(world_env, project_wheel)
    script = render_script(
        LccSpec(
            wheel=uri,
            wheel_sha256=hashlib.sha256(project_wheel.read_bytes()).hexdigest(),
            index_url="https://team-123456789012.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/",
        )
    )
    world_env.fault("codeartifact:GetAuthorizationToken", "access_denied")
    env, restarts = script_env(world_env, image_venv, tmp_path)
    result, _ = run_script(script, env, tmp_path)
    assert result.returncode != 0
    assert "ERROR: could not get a CodeArtifact token for team" in result.stdout
    assert not image_venv.has("studio_collab") and not restarts.exists()
