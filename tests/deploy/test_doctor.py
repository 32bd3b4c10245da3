"""`studio-collab doctor` against the local Studio world: passes when all is well, names the fix when not."""

from __future__ import annotations

import json
import subprocess

import pytest

from studio_collab.cli import main
from studio_collab.deploy.doctor import Doctor
from studio_collab.deploy.iam import FEATURE_ACTIONS
from tests.deploy.images import STUDIO_JUPYTERLAB, node_free_env
from tests.servers import free_port

# The first run builds the image venv (about a minute); later runs reuse it.
pytestmark = [pytest.mark.world, pytest.mark.timeout(900)]

SHARE_BUCKET = "studio-collab-shares-123456789012"  # the demo scenario's bucket


def demo_options(world) -> dict:
    return {
        "share_store": "s3",
        "share_s3_bucket": SHARE_BUCKET,
        "git_ca_bundle": str(world.ca_bundle),
        "repositories": [
            {"url": world.repo_url("churn-model")},
            {"url": world.repo_url("feature-store"), "credentials_secret": "studio-collab/git/feature-store"},
        ],
    }


def world_process_env(world) -> dict:
    return {
        "AWS_ENDPOINT_URL": world.emulator_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": world.region,
        "AWS_DEFAULT_REGION": world.region,
        **world.local.git_env(),  # the world's CA; the catalog's port-less URLs reachable
        "STUDIO_COLLAB_RESOURCE_METADATA": str(world.metadata_path),
        "SAGEMAKER_SPACE_TYPE_LOWERCASE": "private",
    }


def run_installed_doctor(venv, tmp_path, world, options: dict, *args: str) -> subprocess.CompletedProcess:
    """`studio-collab doctor` as an admin runs it in a space: the wheel's own console script, no node."""
    config = tmp_path / "doctor-config.json"
    config.write_text(json.dumps({"StudioCollabApp": options}))
    env = node_free_env(
        venv,
        tmp_path,
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        **world_process_env(world),
    )
    return subprocess.run(
        [str(venv.path / "bin" / "studio-collab"), "doctor", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


@pytest.fixture
def installed_venv(image_venv, project_wheel):
    image_venv.install_wheel(project_wheel)
    yield image_venv
    image_venv.reset()


def test_doctor_passes_against_the_demo_world(world_env, installed_venv, tmp_path):
    result = run_installed_doctor(installed_venv, tmp_path, world_env, demo_options(world_env))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for line in (
        "✔ server extension",
        "✔ labextension",
        "✔ metadata",
        "✔ region",
        "✔ credentials",
        "✔ core",
        "✔ share",
        "✔ cost",
        "✔ experiments",
    ):
        assert line in out, out
    assert f"Studio domain {world_env.domain_id}, space {world_env.space_name}" in out
    # the JupyterLab the panel was built for (package.json) beside the one the image runs (pip's own answer)
    running = (
        subprocess.run(
            [str(installed_venv.python), "-m", "pip", "show", "jupyterlab"], capture_output=True, text=True, timeout=60
        )
        .stdout.split("Version: ", 1)[1]
        .split()[0]
    )
    assert running == STUDIO_JUPYTERLAB
    line = next(l for l in out.splitlines() if l.startswith("✔ jupyterlab "))
    assert line.split(None, 2)[2] == (
        f"panel built for JupyterLab {STUDIO_JUPYTERLAB} (supports >={STUDIO_JUPYTERLAB} <5), running {running}"
    ), line
    assert "sagemaker:DescribeDomain allowed" in out and "s3:HeadBucket allowed" in out
    assert "Everything studio-collab needs works here." in out
    assert "✖" not in out


def test_doctor_fails_with_a_clear_line_when_a_permission_is_denied(world_env, installed_venv, tmp_path):
    world_env.fault("sagemaker:ListApps", "access_denied")
    result = run_installed_doctor(installed_venv, tmp_path, world_env, demo_options(world_env), "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    findings = {f["check"]: f for f in json.loads(result.stdout)["findings"]}
    cost = findings["cost"]
    assert cost["status"] == "fail" and "sagemaker:ListApps failed" in cost["detail"]
    assert cost["next_step"].startswith("No permission for sagemaker:ListApps: grant it to arn:aws:iam::")
    assert f"studio-collab iam-policy --features cost --domain {world_env.domain_id}" in cost["next_step"]
    assert findings["share"]["status"] == "ok"  # one denied action fails its feature only


def test_every_probe_is_an_action_of_the_table(world_env):
    options = {**demo_options(world_env), "price_refresh": True}
    doctor = Doctor(options, world_env.metadata_path.parent)
    try:
        for name in ("core", "git", "share", "experiments", "cost"):
            for feature, service, operation, _ in doctor.probes(name):
                assert f"{service}:{operation}" in {
                    a.replace("ListBucket", "HeadBucket") for a in FEATURE_ACTIONS[feature]
                }, (feature, operation)
    finally:
        doctor.aws.close()


def test_unreachable_mlflow_fails_experiments(world_env, capsys, tmp_path):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"mlflow_tracking_uri": f"http://127.0.0.1:{free_port()}"}))
    assert main(["doctor", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if "experiments" in l)
    assert line.startswith("✖") and "not reachable" in line


def test_without_region_or_credentials_doctor_says_what_to_set(outside_studio, monkeypatch, tmp_path, capsys):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "! metadata" in out
    assert "✖ region" in out and "Set AWS_REGION" in out
