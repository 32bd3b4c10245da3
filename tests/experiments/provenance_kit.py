"""Running real training code the way a user does: a script or a notebook (through a real kernel) inside a git clone
of a world repo, logging to the world's MLflow server, with studio-collab's run-context provider loaded by MLflow's
own plugin mechanism (the ``mlflow.run_context_provider`` entry point)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINT_GROUP = "mlflow.run_context_provider"


def declared_entry_point() -> str:
    """What pyproject.toml registers for MLflow: the test asserts it, the kit uses it."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return project["entry-points"][ENTRY_POINT_GROUP]["studio_collab"]


def entry_point_path(scratch: Path) -> list[str]:
    """Extra sys.path entries so that MLflow finds the provider as an installed plugin would be found. An install
    of this tree (``pip install -e .``, as ``make`` does) already registers it; a checkout used through PYTHONPATH
    next to an older install does not, so a distribution carrying exactly pyproject's entry point is added."""
    installed = {e.name: e.value for e in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    if installed.get("studio_collab") == declared_entry_point():
        return []
    dist = scratch / "studio_collab_entry_points-0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: studio-collab-entry-points\nVersion: 0\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nstudio_collab = {declared_entry_point()}\n")
    return [str(scratch)]


def git(cwd: Path, *args: str, env: dict | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


def user_env(tracking_uri: str, extra_path: list[str], **extra: str) -> dict[str, str]:
    path = os.pathsep.join([*extra_path, *filter(None, [os.environ.get("PYTHONPATH")]), str(REPO_ROOT)])
    env = {**os.environ, "PYTHONPATH": path, "MLFLOW_TRACKING_URI": tracking_uri,
           "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true", "GIT_PYTHON_REFRESH": "quiet"}
    env.pop("JPY_SESSION_NAME", None)
    env.update(extra)
    return env


TRAIN_SCRIPT = '''\
import json, sys
import mlflow
import pandas as pd

mlflow.set_experiment(sys.argv[1])
frame = pd.read_csv("data.csv")
dataset = mlflow.data.from_pandas(frame, source=sys.argv[2], name="churn-features")
with mlflow.start_run() as run:
    mlflow.log_input(dataset, context="training")
    mlflow.log_params({"max_depth": sys.argv[3], "eta": "0.1"})
    mlflow.log_metric("auc", float(sys.argv[4]))
print(json.dumps({"run_id": run.info.run_id}))
'''


def run_script(clone: Path, env: dict, experiment: str, data_uri: str, depth: str, auc: float,
               script: str = "train.py") -> str:
    done = subprocess.run([sys.executable, script, experiment, data_uri, depth, str(auc)], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])["run_id"]


def run_notebook(path: Path, env: dict) -> str:
    """Executes the notebook in a real ipykernel started with ``env`` (as Jupyter starts a session's kernel);
    returns the run id the notebook prints."""
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, kernel_name="python3", timeout=180,
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=env)  # the kernel starts in the notebook's folder, with the session's environment
    outputs = [o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", []) if o.get("name") == "stdout"]
    return json.loads(outputs[-1].strip().splitlines()[-1])["run_id"]


def files_of(folder: Path, skip: tuple[str, ...] = (".git",)) -> dict[str, str]:
    """Every file under ``folder`` (``.git`` aside) with the sha256 of its bytes."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if relative.parts[0] in skip or not path.is_file() or path.is_symlink():
            continue
        found[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found
