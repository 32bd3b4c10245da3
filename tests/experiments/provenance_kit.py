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
from pathlib import Path

import pytest
import tomllib

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
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
    )
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


def user_env(tracking_uri: str, extra_path: list[str], **extra: str) -> dict[str, str]:
    path = os.pathsep.join([*extra_path, *filter(None, [os.environ.get("PYTHONPATH")]), str(REPO_ROOT)])
    env = {
        **os.environ,
        "PYTHONPATH": path,
        "MLFLOW_TRACKING_URI": tracking_uri,
        "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
        "GIT_PYTHON_REFRESH": "quiet",
    }
    env.pop("JPY_SESSION_NAME", None)
    env.update(extra)
    return env


TRAIN_SCRIPT = """\
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
"""


def run_script(
    clone: Path, env: dict, experiment: str, data_uri: str, depth: str, auc: float, script: str = "train.py"
) -> str:
    done = subprocess.run(
        [sys.executable, script, experiment, data_uri, depth, str(auc)],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])["run_id"]


def run_notebook(path: Path, env: dict) -> str:
    """Executes the notebook in a real ipykernel started with ``env`` (as Jupyter starts a session's kernel);
    returns the run id the notebook prints."""
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name="python3", timeout=180, resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute(env=env)  # the kernel starts in the notebook's folder, with the session's environment
    outputs = [
        o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", []) if o.get("name") == "stdout"
    ]
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


REPO = "lineage-demo"
EXPERIMENT = "provenance-tests"
NOTEBOOK_CELLS = [
    "import json\nimport mlflow\nmlflow.set_experiment('provenance-tests')",
    "with mlflow.start_run() as run:\n    mlflow.log_param('max_depth', '5')\nprint(json.dumps({'run_id': run.info.run_id}))",
]


def _notebook(cells: list[str]) -> str:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb)


@pytest.fixture(scope="module")
def lineage(local_world, tmp_path_factory):
    """Runs made once for the module: two script runs three commits apart with different edits and data, a notebook
    run, a run whose diff is over the cap, a run outside any repo and a run in a repo git cannot read."""
    from mlflow.tracking import MlflowClient

    tracking = local_world.start_mlflow()
    if not local_world.repos.bare_path(REPO).exists():
        local_world.repos.create(REPO, "notebooks", 3)
    scratch = tmp_path_factory.mktemp("provenance")
    clone = scratch / "alice" / REPO
    git_env = local_world.git_env()
    git(scratch, "clone", "-q", local_world.catalog_url(REPO), str(clone), env=git_env)
    env = user_env(tracking, entry_point_path(scratch / "entry-points"))

    # iteration 1: an edited tracked file, a new script, data and notebook not committed yet, a binary left out
    (clone / "README.md").write_text((clone / "README.md").read_text() + "\nTuning depth 5.\n")
    (clone / "train.py").write_text(TRAIN_SCRIPT)
    (clone / "data.csv").write_text("tenure,churned\n1,0\n5,1\n9,0\n")
    (clone / "weights.bin").write_bytes(bytes(range(256)) * 4)
    (clone / "notebooks").mkdir(exist_ok=True)
    (clone / "notebooks" / "explore.ipynb").write_text(_notebook(NOTEBOOK_CELLS))
    first_commit = git(clone, "rev-parse", "HEAD").strip()
    first = run_script(clone, env, EXPERIMENT, "s3://churn-data/features/v1/", "5", 0.90)
    notebook = run_notebook(
        clone / "notebooks" / "explore.ipynb",
        {**env, "JPY_SESSION_NAME": str(clone / "notebooks" / "explore.ipynb"), "STUDIO_COLLAB_LOG_NOTEBOOK": "1"},
    )
    snapshot = files_of(clone)
    notebook_bytes = (clone / "notebooks" / "explore.ipynb").read_bytes()

    # three commits later, other edits and other data
    for index in range(3):
        local_world.repos.commit(REPO, {f"src/step_{index}.py": f"STEP = {index}\n"}, f"Iteration {index + 2}")
    git(clone, "stash", "-q", "-u")
    git(clone, "pull", "-q", "--ff-only", env=git_env)
    git(clone, "stash", "pop", "-q")
    (clone / "README.md").write_text((clone / "README.md").read_text() + "Depth 7 now.\n")
    (clone / "data.csv").write_text("tenure,churned\n1,0\n5,1\n9,0\n12,1\n")  # new features, new digest
    second = run_script(clone, env, EXPERIMENT, "s3://churn-data/features/v2/", "7", 0.93)
    second_commit = git(clone, "rev-parse", "HEAD").strip()

    capped = run_script(
        clone,
        {**env, "STUDIO_COLLAB_PROVENANCE_MAX_DIFF_BYTES": "200"},
        EXPERIMENT,
        "s3://churn-data/features/v2/",
        "7",
        0.93,
    )

    outside = scratch / "not-a-repo"
    outside.mkdir()
    (outside / "train.py").write_text(TRAIN_SCRIPT)
    (outside / "data.csv").write_text("tenure,churned\n1,0\n")
    no_repo = run_script(outside, env, EXPERIMENT, "s3://churn-data/features/v1/", "3", 0.5)

    broken = scratch / "broken"
    git(scratch, "clone", "-q", local_world.catalog_url(REPO), str(broken), env=git_env)
    (broken / "train.py").write_text(TRAIN_SCRIPT)
    (broken / "data.csv").write_text("tenure,churned\n1,0\n")
    (broken / ".git" / "index").write_bytes(b"not an index")
    broken_run = _run_in_broken_repo(broken, env)

    client = MlflowClient(tracking)
    return {
        "client": client,
        "tracking": tracking,
        "clone": clone,
        "first": first,
        "second": second,
        "notebook": notebook,
        "capped": capped,
        "no_repo": no_repo,
        "broken": broken_run,
        "first_commit": first_commit,
        "second_commit": second_commit,
        "snapshot": snapshot,
        "notebook_bytes": notebook_bytes,
        "experiment_id": client.get_experiment_by_name(EXPERIMENT).experiment_id,
    }


def _run_in_broken_repo(clone: Path, env: dict) -> dict:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "train.py", EXPERIMENT, "s3://x/", "1", "0.1"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return {
        "returncode": done.returncode,
        "stderr": done.stderr,
        "run_id": json.loads(done.stdout.strip().splitlines()[-1])["run_id"] if done.returncode == 0 else None,
    }
