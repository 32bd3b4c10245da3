"""`studio-collab demo` with its JupyterLab, as `make lab` runs it: it comes up, every route the panel reads answers
with the scenario's data through the lab's base URL and token, and SIGTERM stops every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
import requests

from tests.helpers import wait_until
from tests.world_tests.test_mlflow_and_demo import _group_members, _parent, _read_json_line

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def descendants(root: int) -> set[int]:
    """Every live process below ``root`` (children, their children...)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parents[int(entry)] = _parent(int(entry))
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


@pytest.mark.timeout(600)
def test_demo_with_the_lab_serves_the_panel_real_data_and_stops_everything(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")]))}
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "MLFLOW_TRACKING_URI",
        "SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT",
        "STUDIO_COLLAB_RESOURCE_METADATA",
        "JUPYTER_TOKEN",
    ):
        env.pop(name, None)  # the demo sets its own world up; nothing of the test's environment leaks in
    process = subprocess.Popen(
        [sys.executable, "-m", "studio_collab.cli", "demo", "--scenario", "demo", "--root-dir", str(tmp_path / "root")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
        start_new_session=True,
    )
    groups: set[int] = set()
    try:
        line = _read_json_line(process, timeout=420)
        assert line["lab_url"] and line["token"], line
        groups = {os.getpgid(pid) for pid in descendants(process.pid) if _alive(pid)} | {process.pid}
        lab = line["lab_url"].rsplit("/lab", 1)[0] + "/"
        assert urlsplit(lab).path == "/jupyterlab/default/"  # Studio's base URL
        headers = {"Authorization": f"token {line['token']}"}

        def get(path: str) -> dict:
            answer = requests.get(f"{lab}studio-collab/{path}", headers=headers, timeout=60)
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
            return answer.json()

        status = get("status")
        assert status["studio"]["domain_id"] == "d-demo" and status["studio"]["space_name"], status["studio"]
        assert all(f["available"] for f in status["features"].values()), status["features"]
        repos = get("repos")["repos"]
        assert repos and all(r["state"] in ("not_cloned", "cloning", "cloned") for r in repos), repos
        assert get("spaces")["in_studio"] is True
        get("shares")
        experiments = get("experiments")
        assert "churn-prediction" in {e["name"] for e in experiments["experiments"]}, experiments
        # cost: the scenario's running apps, priced; its budget and the idle explainer answer too
        cost = wait_until(lambda: (c := get("cost?scope=domain"))["resources"] and c, timeout=120, what="GET cost")
        assert {r["kind"] for r in cost["resources"]} >= {"app"}, cost["resources"]
        assert any(r.get("hourly_price") for r in cost["resources"]), cost["resources"]
        get("idle")
        get("domain")
        # the lab serves the built panel
        page = requests.get(line["lab_url"], headers=headers, timeout=60)
        assert (
            page.status_code == 200
            and "studio-collab" in requests.get(f"{lab}lab/api/extensions", headers=headers, timeout=60).text
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    assert process.returncode == 0, process.stderr.read().decode(errors="replace")[-3000:]
    # every process group it started is gone (each server runs in its own), awaited with a deadline
    wait_until(lambda: not [g for g in groups if _group_members(g)], timeout=30, what="the demo's processes to end")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
