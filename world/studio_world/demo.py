"""``studio-collab demo``: the local Studio world plus JupyterLab on it, until Ctrl-C or SIGTERM.

Every server runs as a child process in its own process group; on the way out each group is stopped (SIGTERM,
then SIGKILL), so nothing outlives the demo. The one JSON line on stdout is printed once everything answers.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from .local_world import LocalWorld
from .mlflow_server import free_port
from .processes import ChildProcess
from .scenario import ScenarioError, load_scenario

BASE_URL = "/jupyterlab/default"  # as Studio starts JupyterLab


def run_demo(scenario: str = "demo", with_lab: bool = True, port: int = 0, root_dir: str | None = None) -> int:
    try:
        chosen = load_scenario(scenario)
    except ScenarioError as err:
        print(f"studio-collab demo: {err}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    state = Path(tempfile.mkdtemp(prefix="studio-collab-demo-"))
    world = LocalWorld(state / "world", chosen, in_process=False)
    lab: ChildProcess | None = None
    try:
        world.start(seed=False, with_mlflow=True)
        if stop.is_set():
            return 0
        lab_port = port or free_port()
        lab_origin = f"http://127.0.0.1:{lab_port}"
        world.reseed(lab_url=lab_origin if with_lab else None, lab_extras=with_lab)
        world.control.rate_limits(True)  # AWS's per-account rate limits, as a real account has them
        metadata = world.write_resource_metadata(state / "resource-metadata.json")
        root = Path(root_dir).resolve() if root_dir else state / "root"
        root.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(24) if with_lab else None
        if with_lab and not stop.is_set():
            lab = _start_lab(world, state, root, lab_port, token, metadata)
            _open_notebook(lab_origin, token, root)
        print(
            json.dumps(
                {
                    "aws_endpoint_url": world.emulator_url,
                    "mlflow_tracking_uri": world.mlflow_server.url,
                    "git_base_url": world.git_base_url,
                    "git_ca_bundle": str(world.ca_bundle),
                    "lab_url": f"{lab_origin}{BASE_URL}/lab" if lab else None,
                    "token": token,
                    "root_dir": str(root),
                }
            ),
            flush=True,
        )
        where = f"JupyterLab: {lab_origin}{BASE_URL}/lab?token={token}" if lab else "world only (--no-lab)"
        print(
            f"studio-collab demo ({chosen.name}) is up. {where}\nLogs: {world.workdir / 'logs'}. Ctrl-C stops "
            "everything.",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(1.0):
            if lab is not None and not lab.running:
                print(f"JupyterLab exited:\n{lab.tail()}", file=sys.stderr)
                return 1
        return 0
    except Exception as err:  # noqa: BLE001 - report why the world did not come up, then clean up
        print(f"studio-collab demo failed: {err}", file=sys.stderr)
        return 1
    finally:
        if lab is not None:
            lab.stop()
        world.stop()
        # The world's state (repos, MLflow store) goes; the JupyterLab root and the logs stay for a look.
        for bulky in ("git", "mlflow"):
            shutil.rmtree(state / "world" / bulky, ignore_errors=True)


DEMO_NOTEBOOK = "churn-exploration.ipynb"


def _open_notebook(lab_origin: str, token: str, root: Path) -> None:
    """A notebook with its kernel running, as someone left it: what the Cost section's idle explainer names as
    keeping the app from idling (a session through jupyter_server's own REST API, as the notebook panel makes)."""
    import nbformat

    path = root / DEMO_NOTEBOOK
    if not path.exists():
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [
            nbformat.v4.new_markdown_cell("# Churn exploration\nLeft open with its kernel running."),
            nbformat.v4.new_code_cell("import math\nmath.pi"),
        ]
        nbformat.write(notebook, path)
    body = json.dumps(
        {"path": DEMO_NOTEBOOK, "name": DEMO_NOTEBOOK, "type": "notebook", "kernel": {"name": "python3"}}
    ).encode()
    request = urllib.request.Request(
        f"{lab_origin}{BASE_URL}/api/sessions",
        data=body,
        method="POST",
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        answer.read()


def _start_lab(world: LocalWorld, state: Path, root: Path, port: int, token: str, metadata: Path) -> ChildProcess:
    scenario = world.scenario
    sharing = scenario.space(scenario.lab_space)["sharing"].lower()
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": world.emulator_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": scenario.region,
        "AWS_DEFAULT_REGION": scenario.region,
        **world.git_env(),  # the world's CA, and the catalog's port-less git URLs reachable
        "STUDIO_COLLAB_RESOURCE_METADATA": str(metadata),
        "SAGEMAKER_SPACE_TYPE_LOWERCASE": sharing,
        "SAGEMAKER_APP_TYPE_LOWERCASE": "jupyterlab",
        "SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT": world.mlflow_server.url,
        # The token reaches JupyterLab through its environment, never argv (visible to every local user).
        "JUPYTER_TOKEN": token,
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "MLFLOW_TRACKING_URI"):
        env.pop(name, None)
    # The extension is configured the ordinary way: a Jupyter config file, as an admin would write it.
    settings: dict = {
        "environment_label": "local demo world",
        "mlflow_endpoint_url": world.mlflow_server.url,
        "git_ca_bundle": str(world.ca_bundle),
        # Monthly budgets, so the panel shows them (month-to-date billed by the world's Cost
        # Explorer; the forecast at the demo's burn rate passes both thresholds of each).
        "cost_budget_user_profiles": {"*": 150},
        "cost_budget_domain": 250,
    }
    if scenario.data.get("cost_explorer"):
        settings["cost_explorer_enabled"] = True  # the world's Cost Explorer holds the scenario's billing
    buckets = scenario.section("s3_buckets")
    if buckets:
        settings.update(share_store="s3", share_s3_bucket=buckets[0])
    private = [
        {"url": world.catalog_url(s["git_token_for"]), "name": s["git_token_for"], "credentials_secret": s["name"]}
        for s in scenario.section("secrets")
    ]
    # Slow repos (a bandwidth limit in the scenario) are in the admin catalog of `make lab` only.
    slow = [
        {
            "url": world.catalog_url(r["name"]),
            "name": r["name"],
            "description": "A data-heavy repo served slowly: watch the clone's progress",
        }
        for r in scenario.repos
        if r.get("rate_limit_kbps")
    ]
    if private or slow:
        settings["repositories"] = private + slow
    if private:
        # Studio's own repo lists carry no credentials: map the private repo's URL to its secret too.
        settings["git_credentials"] = {entry["url"]: entry["credentials_secret"] for entry in private}
    config = state / "jupyter_server_config.json"
    config.write_text(json.dumps({"StudioCollabApp": settings}, indent=1))
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        f"--ServerApp.base_url={BASE_URL}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--config={config}",
    ]
    lab = ChildProcess("JupyterLab", argv, world.workdir / "logs" / "jupyterlab.log", env=env, cwd=root)
    lab.start(announce=False)
    status = f"http://127.0.0.1:{port}{BASE_URL}/api/status"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if not lab.running:
            raise RuntimeError(f"JupyterLab exited while starting:\n{lab.tail()}")
        try:
            request = urllib.request.Request(status, headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(request, timeout=2) as answer:
                if answer.status == 200:
                    return lab
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    lab.stop()
    raise RuntimeError(f"JupyterLab did not answer within 120 s:\n{lab.tail()}")
