"""Configuration that refuses what it cannot use: each bad shape, given on a real server's command line and in
its config file, is named in the server log, in GET status (``features.<name>.reason``, ``config_problems``) and
by ``studio-collab doctor``; its feature stays off (its routes answer 503) while the others work. And a list or
dict option on the command line, which jupyter_server used to drop, is used."""

from __future__ import annotations

import json
import re

import pytest
import requests

from studio_collab.cli import main
from tests.servers import start_lab

REPO = "https://git.example.com/team/models.git"

# Loads of bad options: (option, command-line value, config-file value, feature, what the error says).
# One load per server; options of one load never share an option name.
LOADS = {
    "types": [
        ("repositories", REPO, REPO, "git", "must be a list of objects"),
        ("share_store", "S3", "S3", "share", 'must be one of "folder", "s3"; it is a string \'S3\''),
        (
            "price_overrides",
            '{"us-east-1": {"jupyterlab": {"ml.t3.medium": 0.05}}}',
            {"us-east-1": {"jupyterlab": {"ml.t3.medium": 0.05}}},
            "cost",
            "unknown component 'jupyterlab'",
        ),
        ("mlflow_tracking_uri", "file:///tmp/mlruns", "file:///tmp/mlruns", "experiments", "has no server"),
    ],
    "repo-entry": [
        (
            "repositories",
            json.dumps([{"url": REPO, "branchh": "main"}]),
            [{"url": REPO, "branchh": "main"}],
            "git",
            "unknown keys ['branchh']",
        ),
        ("git_credentials", '["git/team-token"]', ["git/team-token"], "git", "must be an object"),
        ("share_max_bytes", "lots", "lots", "share", "must be a whole number; it is a string"),
    ],
    "url-and-core": [
        (
            "repositories",
            json.dumps([{"url": "http://git.example.com/team/models.git"}]),
            [{"url": "http://git.example.com/team/models.git"}],
            "git",
            "only https URLs are allowed",
        ),
        ("aws_read_timeout", "soon", "soon", "core", "must be a number; it is a string"),
        ("repositorie", json.dumps([{"url": REPO}]), [{"url": REPO}], "git", "did you mean repositories?"),
    ],
}
FEATURES = ("git", "share", "experiments", "cost")
REFUSED_ROUTE = {
    "git": "repos/models-0123456789/clone",
    "share": "spaces",
    "experiments": "experiments/legacy/x/runs",
    "cost": "cost",
}


@pytest.fixture
def server_env(tmp_path, monkeypatch, outside_studio):
    """Both the server and doctor read the extension's own config file from this config directory."""
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    for name in ("AWS_ENDPOINT_URL", "MLFLOW_TRACKING_URI", "SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    return config_dir


def _start(tmp_path, args=()):
    return start_lab(
        tmp_path / "root", command="server", args=["--ServerApp.jpserver_extensions={'studio_collab': True}", *args]
    )


def _status(server) -> dict:
    answer = requests.get(server.api("status"), headers=server.headers, timeout=30)
    assert answer.status_code == 200
    return answer.json()


@pytest.mark.parametrize("where", ["command line", "config file"])
@pytest.mark.parametrize("load", list(LOADS))
def test_each_bad_shape_is_named_in_the_log_status_and_doctor(
    load, where, tmp_path, server_env, capsys, openapi_validator
):
    bad = LOADS[load]
    if where == "command line":
        args = [f"--StudioCollabApp.{option}={cli}" for option, cli, _, _, _ in bad]
    else:
        args = []
        (server_env / "jupyter_studio_collab_config.json").write_text(
            json.dumps({"StudioCollabApp": {option: value for option, _, value, _, _ in bad}})
        )
    server = _start(tmp_path, args)
    try:
        status = _status(server)
        openapi_validator.validate("get", "/status", 200, status)
        log = server.log()
        refused = {feature for *_, feature, _ in bad}
        off = set(FEATURES) if "core" in refused else refused
        for option, _, _, feature, says in bad:
            named = f"StudioCollabApp.{option}"
            # the server log: one error line per refused option
            assert re.search(rf"\[E .*studio-collab: {re.escape(named)} .*{re.escape(says)}", log), log[-3000:]
            # GET status: the problem listed, and the reason of each feature it turns off
            assert {"option": option, "feature": feature} in [
                {k: p[k] for k in ("option", "feature")} for p in status["config_problems"]
            ]
            for name in FEATURES if feature == "core" else (feature,):
                assert named in status["features"][name]["reason"] and says in status["features"][name]["reason"]
        for name in FEATURES:
            reason = status["features"][name]["reason"] or ""
            assert (status["features"][name]["available"] is False and "refused" in reason) == (name in off)
            if name in off:
                verb = requests.post if name == "git" else requests.get  # a path with parameters, a POST
                answer = verb(
                    server.api(REFUSED_ROUTE[name]),
                    headers=server.headers,
                    timeout=30,
                    **({"json": {}} if name == "git" else {}),
                )
                assert answer.status_code == 503 and answer.json()["code"] == "feature_config_refused"
        assert "error linking extension" not in log  # never the half-configured path
    finally:
        server.stop()
    # studio-collab doctor, reading the same file or given the same command line
    code = main(["doctor", "--json", *args])
    findings = {f["check"]: f for f in json.loads(capsys.readouterr().out)["findings"]}
    assert code == 1 and findings["config"]["status"] == "fail"
    for option, _, _, feature, says in bad:
        assert f"StudioCollabApp.{option}" in findings["config"]["detail"] and says in findings["config"]["detail"]
    for name in off:
        assert findings[name]["status"] == "fail" and findings[name]["detail"].startswith("off: ")


def test_a_list_and_a_dict_option_on_the_command_line_are_used(tmp_path, server_env, capsys):
    repos = json.dumps(
        [{"url": REPO, "branch": "main", "name": "models"}, {"url": "https://git.example.com/team/features.git"}]
    )
    credentials = json.dumps({"https://git.example.com/team/": "git/team-token"})
    args = [f"--StudioCollabApp.repositories={repos}", f"--StudioCollabApp.git_credentials={credentials}"]
    server = _start(tmp_path, args)
    try:
        status = _status(server)
        assert status["config_problems"] == [] and status["features"]["git"]["available"] is True
        answer = requests.get(server.api("repos"), headers=server.headers, timeout=30)
        assert answer.status_code == 200
        listed = {r["url"]: r for r in answer.json()["repos"]}
        assert set(listed) == {REPO, "https://git.example.com/team/features.git"}
        assert listed[REPO]["branch"] == "main" and listed[REPO]["name"] == "models"
        assert all(r["private"] for r in listed.values())  # the dict option mapped both to the secret
        assert "[E " not in server.log() and "error linking extension" not in server.log()
    finally:
        server.stop()
    main(["doctor", "--json", *args])
    findings = {f["check"]: f for f in json.loads(capsys.readouterr().out)["findings"]}
    assert findings["config"]["status"] == "ok"


def test_one_object_on_the_command_line_is_a_list_of_one(tmp_path, server_env):
    server = _start(tmp_path, [f"--StudioCollabApp.repositories={json.dumps({'url': REPO})}"])
    try:
        answer = requests.get(server.api("repos"), headers=server.headers, timeout=30)
        assert [r["url"] for r in answer.json()["repos"]] == [REPO]
    finally:
        server.stop()


def test_doctor_refuses_arguments_that_are_not_server_options(capsys):
    with pytest.raises(SystemExit):
        main(["doctor", "--no-such-flag"])
    with pytest.raises(SystemExit):
        main(["iam-policy", "--StudioCollabApp.auto_clone=True"])
