"""Every run carries its code and data, and Restore brings the code back (issue 21).

A training script and a notebook (run through a real kernel) are started inside a clone of a repo on the world's
HTTPS git server, with uncommitted edits, logging to the world's real MLflow server; MLflow loads studio-collab's
run-context provider through its plugin entry point. The truths are git itself, MLflow's own client, the bytes
on disk and the emulator's answers — never the product's own tables.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from studio_collab.provenance import tags as T
from tests.experiments.conftest import get_json, post_json
from tests.experiments.provenance_kit import (  # noqa: F401
    EXPERIMENT,
    REPO,
    declared_entry_point,
    entry_point_path,
    files_of,
    git,
    lineage,
    user_env,
)
from tests.helpers import wait_job

pytestmark = pytest.mark.world


@pytest.fixture
def studio_collab_config(world_env, local_world):
    return {
        "mlflow_tracking_uri": local_world.start_mlflow(),
        "git_fetch_interval_seconds": 0,
        "git_timeout_seconds": 60,
        "repositories": [{"url": world_env.repo_url(REPO)}],
    }


async def restore(jp_fetch, run_id: str, expect: int = 202) -> dict:
    return await post_json(jp_fetch, "experiments", "mlflow", "runs", run_id, "restore", expect=expect)


def root_listing(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


# --- the provider, as MLflow loads it ------------------------------------------------------------------
def test_pyproject_registers_the_provider_for_mlflow():
    from importlib import import_module

    module, _, name = declared_entry_point().partition(":")
    provider = getattr(import_module(module), name)()
    assert callable(provider.in_context) and callable(provider.tags)


def test_a_script_run_records_commit_branch_path_and_the_diff(lineage, world):
    client, clone = lineage["client"], lineage["clone"]
    tags = client.get_run(lineage["first"]).data.tags
    assert tags[T.COMMIT] == lineage["first_commit"]
    assert tags[T.BRANCH] == "main" and tags[T.DIRTY] == "true" and tags[T.PATH] == "train.py"
    assert tags[T.REPO_URL] == world.repo_url(REPO) and "@" not in tags[T.REPO_URL]
    assert tags["mlflow.source.git.commit"] == lineage["first_commit"]
    assert "weights.bin (binary)" in tags[T.UNTRACKED_SKIPPED]
    recorded = Path(client.download_artifacts(lineage["first"], T.DIFF_ARTIFACT_PATH, str(clone.parent))).read_bytes()
    # the tracked edit and the new files are in the recorded diff
    assert b"+Tuning depth 5." in recorded and b"b/train.py" in recorded and b"b/data.csv" in recorded
    assert b"weights.bin" not in recorded
    import hashlib

    assert tags[T.DIFF_SHA256] == hashlib.sha256(recorded).hexdigest() and int(tags[T.DIFF_BYTES]) == len(recorded)


def test_a_notebook_run_in_a_real_kernel_records_the_notebook(lineage):
    client = lineage["client"]
    tags = client.get_run(lineage["notebook"]).data.tags
    assert tags[T.PATH] == "notebooks/explore.ipynb" and tags[T.COMMIT] == lineage["first_commit"]
    assert tags[T.DIFF_SHA256] == client.get_run(lineage["first"]).data.tags[T.DIFF_SHA256]  # same tree, same diff
    saved = Path(
        client.download_artifacts(lineage["notebook"], tags[T.NOTEBOOK_ARTIFACT], str(lineage["clone"].parent))
    ).read_bytes()
    assert saved == lineage["notebook_bytes"]


def test_no_repo_records_nothing_and_a_broken_repo_never_breaks_start_run(lineage):
    client = lineage["client"]
    assert not any(k.startswith(T.PREFIX) for k in client.get_run(lineage["no_repo"]).data.tags)
    broken = lineage["broken"]
    assert broken["returncode"] == 0 and broken["run_id"], broken["stderr"][-2000:]
    tags = client.get_run(broken["run_id"]).data.tags  # git could name the commit, not read the index
    assert tags[T.COMMIT] and T.DIRTY not in tags and T.DIFF_ARTIFACT not in tags
    warnings = [line for line in broken["stderr"].splitlines() if "studio-collab could not record" in line]
    assert len(warnings) == 1, broken["stderr"][-2000:]


def test_a_diff_over_the_cap_is_stated(lineage):
    tags = lineage["client"].get_run(lineage["capped"]).data.tags
    assert "only the first 200 were recorded" in tags[T.DIFF_CAPPED]
    assert int(tags[T.DIFF_BYTES]) > 200


# --- the API -------------------------------------------------------------------------------------------------
async def test_runs_carry_code_and_data(lineage, jp_fetch, openapi_validator, world):
    experiment_id = lineage["experiment_id"]
    body = await get_json(jp_fetch, "experiments", "mlflow", experiment_id, "runs", params={"limit": "100"})
    openapi_validator.validate("get", f"/experiments/mlflow/{experiment_id}/runs", 200, body)
    runs = {r["id"]: r for r in body["runs"]}
    first = runs[lineage["first"]]
    assert first["code"]["commit"] == lineage["first_commit"] and first["code"]["dirty"] is True
    assert first["code"]["repo_url"] == world.repo_url(REPO) and first["code"]["path"] == "train.py"
    assert first["code"]["diff_artifact"] == "studio_collab/code.diff" and first["code"]["restorable"] is True
    assert not any(k.startswith(T.PREFIX) for k in first["tags"])
    oracle = lineage["client"].get_run(lineage["first"]).inputs.dataset_inputs[0].dataset
    assert first["data"] == [
        {
            "name": "churn-features",
            "digest": oracle.digest,
            "source": oracle.source_type,
            "uri": "s3://churn-data/features/v1/",
            "schema": ["tenure", "churned"],
            "context": "training",
        }
    ]
    assert runs[lineage["no_repo"]]["code"] is None


async def test_compare_names_what_changed_in_code_and_data(lineage, jp_fetch, openapi_validator):
    compared = await get_json(
        jp_fetch,
        "experiments",
        "compare",
        params={"source": "mlflow", "runs": f"{lineage['first']},{lineage['second']}"},
    )
    openapi_validator.validate("get", "/experiments/compare", 200, compared)
    code, data = compared["code"], compared["data"]
    assert code["commit_range"] == {
        "repo_url": code["values"]["repo_url"][0],
        "from": lineage["first_commit"],
        "to": lineage["second_commit"],
        "same": False,
    }
    assert {"commit", "diff_sha256"} <= set(code["differing"]) and "branch" not in code["differing"]
    first_files = {f["path"]: f for f in code["diffs"][0]["summary"]["files"]}
    assert first_files["README.md"]["added"] == 2 and first_files["train.py"]["status"] == "added"
    assert data["differing"] == ["churn-features"]
    oracle = [
        lineage["client"].get_run(r).inputs.dataset_inputs[0].dataset.digest
        for r in (lineage["first"], lineage["second"])
    ]
    assert [d["digest"] for d in data["datasets"]["churn-features"]] == oracle and oracle[0] != oracle[1]
    assert [d["uri"] for d in data["datasets"]["churn-features"]] == [
        "s3://churn-data/features/v1/",
        "s3://churn-data/features/v2/",
    ]
    assert compared["differing"] == ["max_depth"]


# --- Restore ------------------------------------------------------------------------------------------------
async def test_restore_by_fresh_clone_is_byte_identical_to_what_ran(lineage, jp_fetch, jp_root_dir, openapi_validator):
    answer = await restore(jp_fetch, lineage["notebook"])
    openapi_validator.validate("post", f"/experiments/mlflow/runs/{lineage['notebook']}/restore", 202, answer)
    job = await wait_job(jp_fetch, answer["job"]["id"])
    assert job["state"] == "succeeded", job
    result = job["result"]
    assert result["from"] == "clone" and result["path"].startswith("restored-runs/")
    assert result["opened"] == f"{result['path']}/notebooks/explore.ipynb"
    restored = jp_root_dir / result["path"]
    expected = {p: h for p, h in lineage["snapshot"].items() if p != "weights.bin"}  # the skipped binary
    assert files_of(restored) == expected
    assert git(restored, "rev-parse", "HEAD").strip() == lineage["first_commit"]


async def test_restore_from_the_users_clone_adds_a_worktree_and_leaves_the_clone_alone(
    lineage, jp_fetch, jp_root_dir, world
):
    repos = await get_json(jp_fetch, "repos")
    repo = next(r for r in repos["repos"] if r["name"] == REPO)
    clone_job = (await post_json(jp_fetch, "repos", repo["id"], "clone", expect=202))["job"]
    assert (await wait_job(jp_fetch, clone_job["id"]))["state"] == "succeeded"
    clone = jp_root_dir / repo["target"]
    # the user edits their clone; the run is of the first iteration, three commits behind
    (clone / "README.md").write_text("my unsaved thoughts\n")
    (clone / "scratch.py").write_text("print('wip')\n")
    before, status_before = files_of(clone), git(clone, "status", "--porcelain")
    answer = await restore(jp_fetch, lineage["first"])
    job = await wait_job(jp_fetch, answer["job"]["id"])
    assert job["state"] == "succeeded", job
    assert job["result"]["from"] == "worktree" and job["result"]["opened"] == f"{job['result']['path']}/train.py"
    restored = jp_root_dir / job["result"]["path"]
    assert files_of(restored) == {p: h for p, h in lineage["snapshot"].items() if p != "weights.bin"}
    assert files_of(clone) == before and git(clone, "status", "--porcelain") == status_before
    assert str(restored) in git(clone, "worktree", "list")


# --- refusals: nothing written outside a new folder, and that folder gone on failure ---------------------------
def crafted_run(lineage, **changes) -> str:
    """A run whose provenance tags are run 1's, changed as given (None removes a tag)."""
    client = lineage["client"]
    tags = {k: v for k, v in client.get_run(lineage["first"]).data.tags.items() if k.startswith(T.PREFIX)}
    for key, value in changes.items():
        if value is None:
            tags.pop(key, None)
        else:
            tags[key] = value
    run = client.create_run(lineage["experiment_id"], tags=tags, run_name=f"crafted-{uuid.uuid4().hex[:6]}")
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def _bad_patch(path: str) -> str:
    return f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+owned\n"


@pytest.mark.parametrize(
    "case", ["not_in_catalog", "path_outside", "diff_path_outside", "capped", "checksum", "no_code"]
)
async def test_refused_before_anything_is_written(case, lineage, jp_fetch, jp_root_dir, world):
    import hashlib

    if case == "not_in_catalog":
        run_id, code, status = (
            crafted_run(lineage, **{T.REPO_URL: "https://git.example.com/team/elsewhere.git"}),
            "repo_not_in_catalog",
            409,
        )
    elif case == "path_outside":
        run_id, code, status = crafted_run(lineage, **{T.PATH: "../../outside.ipynb"}), "recorded_path_outside", 400
    elif case == "diff_path_outside":
        patch = _bad_patch("../../escape.txt")
        run_id = crafted_run(
            lineage, **{T.DIFF_INLINE: patch, T.DIFF_SHA256: hashlib.sha256(patch.encode()).hexdigest()}
        )
        code, status = "diff_path_outside", 400
    elif case == "capped":
        run_id, code, status = lineage["capped"], "diff_incomplete", 413
    elif case == "checksum":
        run_id, code, status = crafted_run(lineage, **{T.DIFF_SHA256: "0" * 64}), "diff_mismatch", 409
    else:
        run_id, code, status = lineage["no_repo"], "no_code_recorded", 409
    before = root_listing(jp_root_dir)
    error = await restore(jp_fetch, run_id, expect=status)
    assert error["code"] == code, error
    assert error["message"]
    assert root_listing(jp_root_dir) == before


@pytest.mark.parametrize("case", ["commit_not_on_remote", "diff_does_not_apply"])
async def test_job_fails_and_removes_its_folder(case, lineage, jp_fetch, jp_root_dir):
    import hashlib

    if case == "commit_not_on_remote":
        run_id = crafted_run(lineage, **{T.COMMIT: "1234567890abcdef" * 2 + "12345678", T.DIRTY: "false"})
    else:
        patch = (
            "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1,2 +1,2 @@\n"
            "-this line was never there\n+nor was this one\n context\n"
        )
        run_id = crafted_run(
            lineage, **{T.DIFF_INLINE: patch, T.DIFF_SHA256: hashlib.sha256(patch.encode()).hexdigest()}
        )
    before = root_listing(jp_root_dir)
    answer = await restore(jp_fetch, run_id)
    job = await wait_job(jp_fetch, answer["job"]["id"])
    assert job["state"] == "failed" and job["error"]["code"] == case, job
    after = root_listing(jp_root_dir)
    assert after - before <= {"restored-runs"}, after - before  # the parent folder may stay, empty
    assert not any((jp_root_dir / "restored-runs").iterdir()) if (jp_root_dir / "restored-runs").exists() else True


async def test_a_restore_folder_that_leads_outside_the_root_is_refused(lineage, jp_fetch, jp_root_dir, tmp_path):
    outside = tmp_path / "outside-the-root"
    outside.mkdir()
    (jp_root_dir / "restored-runs").symlink_to(outside, target_is_directory=True)
    error = await restore(jp_fetch, lineage["first"], expect=400)
    assert error["code"] == "path_outside_root", error
    assert list(outside.iterdir()) == []


# --- SageMaker training jobs --------------------------------------------------------------------------------
async def test_training_jobs_show_channels_source_and_hyperparameters(jp_fetch, world, openapi_validator):
    described = world.client("sagemaker").describe_training_job(TrainingJobName="churn-xgb-2026-11-24")
    body = await get_json(jp_fetch, "experiments", "training-jobs", "all", "runs", "churn-xgb-2026-11-24")
    openapi_validator.validate("get", "/experiments/training-jobs/all/runs/churn-xgb-2026-11-24", 200, body)
    run = body["run"]
    channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in described["InputDataConfig"]}
    assert {d["name"]: d["uri"] for d in run["data"]} == channels and len(channels) == 2
    assert run["code"]["source_uri"] == described["HyperParameters"]["sagemaker_submit_directory"]
    assert run["code"]["path"] == "train.py" and run["code"]["restorable"] is False
    assert run["params"] == {"max_depth": "7", "eta": "0.1", "num_round": "400"}
    compared = await get_json(
        jp_fetch,
        "experiments",
        "compare",
        params={"source": "training-jobs", "runs": "churn-xgb-2026-11-20,churn-xgb-2026-11-24"},
    )
    assert compared["data"]["differing"] == ["train", "validation"]
    assert "source_uri" in compared["code"]["differing"]
    error = await post_json(
        jp_fetch, "experiments", "training-jobs", "runs", "churn-xgb-2026-11-24", "restore", expect=409
    )
    assert error["code"] == "not_restorable"


QUICK_RUN_STILL_BUSY = """\
import json, sys, time
import mlflow
from mlflow.tracking import MlflowClient

mlflow.set_experiment(sys.argv[1])
with mlflow.start_run() as run:
    pass  # ended at once; the script goes on working, so the recorder cannot rely on the exit
client, deadline = MlflowClient(), time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline and "{dirty}" not in client.get_run(run.info.run_id).data.tags:
    time.sleep(0.1)
print(json.dumps({{"run_id": run.info.run_id, "recorded": "{dirty}" in client.get_run(run.info.run_id).data.tags}}))
"""


def test_a_run_that_ends_at_once_is_recorded_while_the_script_goes_on(lineage):
    """The recorder finds a run that already ended by its tag on the server long before its whole wait is over
    (it used to look only among active runs for all of it, so a short run in a long script waited that long)."""
    from studio_collab.provenance import recorder

    env = user_env(lineage["tracking"], entry_point_path(lineage["clone"].parent / "entry-points"))
    script = QUICK_RUN_STILL_BUSY.format(dirty=T.DIRTY)
    done = subprocess.run(
        [sys.executable, "-c", script, EXPERIMENT, str(recorder.WAIT_SECONDS * 2 / 3)],
        cwd=lineage["clone"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["recorded"], "the run's code was not recorded while the script went on"
    assert lineage["client"].get_run(answer["run_id"]).data.tags[T.COMMIT] == lineage["second_commit"]
