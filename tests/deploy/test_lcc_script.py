"""`studio-collab lcc`: the script's shape, size and option checks (running it: test_lcc_sandbox.py)."""

from __future__ import annotations

import base64
import json
import shlex
import subprocess

import pytest

from studio_collab import __version__
from studio_collab.cli import main
from studio_collab.deploy.lcc import LCC_MAX_CONTENT, LccSpec, default_name, encode, render_script
from studio_collab.errors import StudioCollabError

WHEEL = "s3://team-artifacts/studio-collab/studio_collab-0.1.0-py3-none-any.whl"
SHA = "ab" * 32


def spec(**kwargs) -> LccSpec:
    return LccSpec(**{"wheel": WHEEL, "wheel_sha256": SHA, **kwargs})


def settings_of(script: str) -> dict:
    """The generated NAME=value lines, parsed back the way bash would."""
    values = {}
    for line in script.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.isupper() and name.replace("_", "").isalnum():
            values[name] = shlex.split(value)[0] if value else ""
    return values


def test_script_is_valid_bash_with_strict_mode():
    script = render_script(spec())
    assert script.startswith("#!/bin/bash\n")
    assert "set -euo pipefail" in script.splitlines()[:8]
    subprocess.run(["bash", "-n"], input=script, text=True, check=True, timeout=30)


def test_pip_runs_under_a_timeout_and_the_server_restarts_the_studio_way():
    script = render_script(spec())
    assert 'timeout "$PIP_TIMEOUT_SECONDS" "$PYTHON" -m pip' in script
    assert "restart-jupyter-server" in script
    assert "/var/log/apps/app_container.log" in script


def test_settings_round_trip_through_shell_quoting():
    tricky = {
        "environment_label": 'it\'s "quoted" $(not run) `nor this`',
        "idle_shutdown_minutes": 90,
        "repositories": [{"url": "https://git.example.com/team/models.git", "branch": "main"}],
    }
    script = render_script(
        spec(
            config=tricky,
            wheel="s3://bucket/wheels/studio_collab-1.2.3-py3-none-any.whl",
            index_url="https://pypi.example.com/simple",
        )
    )
    values = settings_of(script)
    assert values["STUDIO_COLLAB_VERSION"] == "1.2.3"  # from the wheel's name
    assert values["STUDIO_COLLAB_WHEEL"] == "s3://bucket/wheels/studio_collab-1.2.3-py3-none-any.whl"
    assert values["STUDIO_COLLAB_WHEEL_SHA256"] == SHA
    assert values["STUDIO_COLLAB_INDEX_URL"] == "https://pypi.example.com/simple"
    assert json.loads(values["STUDIO_COLLAB_CONFIG"]) == {"StudioCollabApp": tricky}
    # and bash itself reads the same JSON back (nothing expanded)
    head = "\n".join(l for l in script.splitlines() if l.startswith("STUDIO_COLLAB_CONFIG="))
    echoed = subprocess.run(
        ["bash", "-c", head + '\nprintf %s "$STUDIO_COLLAB_CONFIG"'],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    assert json.loads(echoed) == {"StudioCollabApp": tricky}


def test_index_install_pins_this_version():
    mirror = "https://pypi.example.com/simple"
    assert settings_of(render_script(LccSpec(index_url=mirror)))["STUDIO_COLLAB_VERSION"] == __version__
    assert settings_of(render_script(LccSpec(index_url=mirror, version="9.9.9")))["STUDIO_COLLAB_VERSION"] == "9.9.9"


def test_fits_studio_limit_base64_encoded():
    script = render_script(
        spec(config={"repositories": [{"url": f"https://git.example.com/r{i}.git"} for i in range(20)]})
    )
    assert len(script) <= LCC_MAX_CONTENT
    assert len(encode(script)) <= LCC_MAX_CONTENT
    assert base64.b64decode(encode(script)).decode() == script


def test_too_large_config_is_refused_with_a_next_step():
    huge = {"price_overrides": {"us-east-1": {"training": {f"ml.x{i}.xlarge": 1.0 for i in range(600)}}}}
    with pytest.raises(StudioCollabError) as err:
        render_script(spec(config=huge))
    assert err.value.code == "lcc_too_large" and "16384" in err.value.message


@pytest.mark.parametrize(
    "options, code",
    [
        ({"no_such_option": 1}, "lcc_unknown_option"),
        ({"idle_shutdown_minutes": "soon"}, "lcc_bad_option"),
        ({"share_store": "ftp"}, "lcc_bad_option"),
    ],
)
def test_bad_options_fail_at_generation_not_in_a_space(options, code):
    with pytest.raises(StudioCollabError) as err:
        render_script(spec(config=options))
    assert err.value.code == code


@pytest.mark.parametrize(
    "kwargs, option",
    [
        ({"wheel": None}, "--wheel s3://"),  # no source at all: the public index is never a default
        ({"wheel": "dist/studio_collab-0.1.0-py3-none-any.whl"}, "--wheel"),
        ({"wheel": "/mnt/efs/studio_collab-0.1.0-py3-none-any.whl"}, "--wheel"),
        ({"wheel": "s3://bucket/other-0.1.0-py3-none-any.whl"}, "--wheel"),
        ({"wheel": "s3://bucket/a/../studio_collab-0.1.0-py3-none-any.whl"}, "--wheel"),
        ({"wheel_sha256": None}, "--wheel-sha256"),
        ({"wheel_sha256": "abc"}, "--wheel-sha256"),
        ({"index_url": "http://pypi.example.com/simple"}, "--index-url uses http"),
        ({"index_url": "https://user:pass@pypi.example.com/simple"}, "--index-url embeds credentials"),
        (
            {"index_url": "https://aws:token@team-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/"},
            "--index-url embeds credentials",
        ),
        ({"index_url": "https://pypi.example.com/simple/../../evil"}, "--index-url has '.' or '..'"),
        ({"index_url": "https://pypi.example.com/simple?token=x"}, "--index-url has a query"),
        (
            {"config": {"repositories": [{"url": "https://alice:ghp_token@git.example.com/team/models.git"}]}},
            "repositories[0]",
        ),
        ({"config": {"repositories": [{"url": "http://git.example.com/team/models.git"}]}}, "repositories[0]"),
        ({"config": {"repositories": [{"url": "https://git.example.com/team/../models.git"}]}}, "repositories[0]"),
        ({"config": {"git_credentials": {"https://bob:pw@git.example.com/team/": "git/team"}}}, "git_credentials"),
        ({"config": {"mlflow_tracking_uri": "http://mlflow.example.com"}}, "mlflow_tracking_uri uses http"),
    ],
)
def test_generator_refuses_what_the_server_refuses_naming_the_option(kwargs, option):
    with pytest.raises(StudioCollabError) as err:
        render_script(spec(**kwargs))
    assert option in err.value.message, err.value.message
    assert "ghp_token" not in err.value.message and ":pw@" not in err.value.message


def test_cli_refuses_a_token_in_a_repo_url_and_writes_nothing(capsys):
    code = main(["lcc", "--wheel", WHEEL, "--wheel-sha256", SHA, "--repo", "https://u:tok3n-xyz@git.example.com/a.git"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert "repositories[0]" in captured.err and "tok3n-xyz" not in captured.err
    assert main(["lcc"]) == 2
    assert "--index-url" in capsys.readouterr().err


def test_codeartifact_mirror_gets_its_token_at_run_time_only():
    mirror = "https://team-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/studio/simple/"
    values = settings_of(render_script(LccSpec(index_url=mirror)))
    assert (values["CODEARTIFACT_DOMAIN"], values["CODEARTIFACT_OWNER"], values["CODEARTIFACT_REGION"]) == (
        "team",
        "111122223333",
        "us-east-1",
    )
    assert values["STUDIO_COLLAB_INDEX_URL"] == mirror
    assert settings_of(render_script(LccSpec(index_url="https://pypi.example.com/simple")))["CODEARTIFACT_DOMAIN"] == ""


def test_default_name_follows_content_and_fits_studio_rules():
    a, b = render_script(spec()), render_script(spec(config={"idle_shutdown_minutes": 60}))
    assert default_name(a) == default_name(a) != default_name(b)
    assert len(default_name(a)) <= 63 and default_name(a).startswith("studio-collab-")
