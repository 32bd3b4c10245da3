"""The real MLflow server of the world, and `studio-collab demo --no-lab` as a user runs it."""

import json
import os
import selectors
import signal
import subprocess
import sys
import time

import pytest
from studio_world.processes import group_alive


def test_training_script_runs_read_back_ordered_by_metric(mlflow_world):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(mlflow_world.mlflow_url)
    experiment = client.get_experiment_by_name("churn-prediction")
    runs = client.search_runs([experiment.experiment_id], order_by=["metrics.val_accuracy DESC"])
    assert len(runs) == 4
    accuracies = [r.data.metrics["val_accuracy"] for r in runs]
    assert accuracies == sorted(accuracies, reverse=True) and len(set(accuracies)) > 1
    best = runs[0]
    assert set(best.data.params) == {"learning_rate", "l2", "batch_size"}
    history = client.get_metric_history(best.info.run_id, "val_loss")
    assert [m.step for m in history] == list(range(1, 26))
    assert history[-1].value < history[0].value  # it really learned
    assert best.data.tags["model_type"] == "logistic_regression" and best.info.status == "FINISHED"
    # The scenario's SageMaker tracking server resolves to this server.
    described = mlflow_world.client("sagemaker").describe_mlflow_tracking_server(TrackingServerName="team-mlflow")
    assert described["TrackingServerUrl"] == mlflow_world.mlflow_url
    assert os.environ["SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT"] == mlflow_world.mlflow_url


def _read_json_line(process: subprocess.Popen, timeout: float) -> dict:
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    buffer = b""
    while b"\n" not in buffer and time.monotonic() < deadline and process.poll() is None:
        if selector.select(0.5):
            buffer += os.read(process.stdout.fileno(), 4096)
    assert b"\n" in buffer, f"no JSON line: {buffer!r} {process.stderr.read() if process.poll() is not None else ''}"
    return json.loads(buffer.split(b"\n", 1)[0])


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[2]) == pgid:
                members.append(int(entry))
    return members


@pytest.mark.timeout(240)
def test_demo_no_lab_comes_up_answers_and_leaves_nothing(tmp_path):
    import boto3

    process = subprocess.Popen(
        [sys.executable, "-m", "studio_collab.cli", "demo", "--no-lab"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        start_new_session=True,
    )
    children: list[int] = []
    try:
        line = _read_json_line(process, timeout=180)
        assert set(line) == {
            "aws_endpoint_url",
            "mlflow_tracking_uri",
            "git_base_url",
            "git_ca_bundle",
            "lab_url",
            "token",
            "root_dir",
        }
        assert line["lab_url"] is None and line["token"] is None
        # every child server runs in its own process group: remember them to prove they are gone afterwards
        children = [int(p) for p in os.listdir("/proc") if p.isdigit() and _parent(int(p)) == process.pid]
        assert len(children) == 3
        sm = boto3.client(
            "sagemaker",
            endpoint_url=line["aws_endpoint_url"],
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        assert {s["SpaceName"] for s in sm.list_spaces(DomainIdEquals="d-demo")["Spaces"]} == {
            "alice-space",
            "bob-space",
            "team-space",
        }
        refs = subprocess.run(
            ["git", "ls-remote", f"{line['git_base_url']}/churn-model.git"],
            capture_output=True,
            text=True,
            env={**os.environ, "GIT_SSL_CAINFO": line["git_ca_bundle"]},
            timeout=60,
        )
        assert "refs/heads/main" in refs.stdout, refs.stderr
        import urllib.request

        with urllib.request.urlopen(f"{line['mlflow_tracking_uri']}/health", timeout=10) as answer:
            assert answer.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert process.returncode == 0, process.stderr.read()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(group_alive(pid) for pid in children):
        time.sleep(0.2)
    assert [pid for pid in children if _group_members(pid)] == []


def _parent(pid: int) -> int:
    try:
        return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def test_bulk_runs_of_two_experiments_share_one_server(mlflow_world):
    """Benchmarks share one world's MLflow: each experiment's bulk runs are its own (no clash on the store's run
    ids), and asking again for an experiment already made returns it as it is."""
    from mlflow.tracking import MlflowClient
    from studio_world.training import bulk_runs

    server = mlflow_world.local.mlflow_server
    first = bulk_runs(server, "bulk-shared-a", 50)
    second = bulk_runs(server, "bulk-shared-b", 50)
    assert bulk_runs(server, "bulk-shared-a", 50) == first
    client = MlflowClient(mlflow_world.mlflow_url)
    a, b = (client.search_runs([e], max_results=100) for e in (first, second))
    assert len(a) == len(b) == 50
    assert not {r.info.run_id for r in a} & {r.info.run_id for r in b}
