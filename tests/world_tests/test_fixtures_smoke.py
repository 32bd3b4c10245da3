"""The world fixtures come up seeded and reset between tests."""

import subprocess


def test_world_is_seeded(world):
    sm = world.client("sagemaker")
    spaces = {s["SpaceName"]: s for s in sm.list_spaces(DomainIdEquals=world.domain_id)["Spaces"]}
    assert set(spaces) == {"alice-space", "bob-space", "team-space"}
    assert spaces["team-space"]["SpaceSharingSettingsSummary"]["SharingType"] == "Shared"
    domain = sm.describe_domain(DomainId=world.domain_id)
    urls = [r["RepositoryUrl"] for r in domain["DefaultUserSettings"]["JupyterLabAppSettings"]["CodeRepositories"]]
    assert urls == [world.catalog_url("churn-model"), world.catalog_url("team-notebooks")]
    assert world.calls() == {"sagemaker:ListSpaces": 1, "sagemaker:DescribeDomain": 1}


def test_reset_between_tests_and_git_clone(world, tmp_path):
    sm = world.client("sagemaker")
    sm.delete_app(DomainId=world.domain_id, SpaceName="bob-space", AppType="JupyterLab", AppName="default")
    assert world.calls() == {"sagemaker:DeleteApp": 1}
    done = subprocess.run(
        ["git", "clone", "-q", world.catalog_url("churn-model"), str(tmp_path / "c")],  # as the domain lists it
        env={**world.local.git_env(), "PATH": "/usr/bin:/bin", "GIT_TERMINAL_PROMPT": "0", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "c" / "train.ipynb").exists()


def test_apps_back_after_reset(world):
    apps = world.client("sagemaker").list_apps(DomainIdEquals=world.domain_id, SpaceNameEquals="bob-space")["Apps"]
    assert [a["Status"] for a in apps] == ["InService"]
