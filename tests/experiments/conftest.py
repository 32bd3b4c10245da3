"""Experiments tests run against the local Studio world: its emulator and its real, seeded MLflow server."""

from __future__ import annotations

import json
import sqlite3

import pytest

BULK_RUNS = 10_000


@pytest.fixture(scope="session")
def bulk_experiment_id(local_world) -> str:
    """10,000 runs in the world's MLflow, generated once per test session."""
    from studio_world.training import bulk_runs

    server = local_world.mlflow_server
    experiment_id = bulk_runs(server, "experiments-tests-bulk", BULK_RUNS)
    # Table statistics: without them SQLite plans MLflow's order-by-metric join as a 10,000 x 10,000 scan
    # (~10 s a page here); with them it builds an index for the join (~70 ms).
    with sqlite3.connect(server.backend_store_uri.removeprefix("sqlite:///")) as db:
        db.execute("ANALYZE")
    return experiment_id


@pytest.fixture(scope="session")
def html_run(local_world) -> dict:
    """A run whose param holds HTML, in an experiment of its own (the panel must show it as text)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(local_world.mlflow_server.url)
    existing = client.get_experiment_by_name("html-params")
    experiment_id = existing.experiment_id if existing else client.create_experiment("html-params")
    run = client.create_run(experiment_id, run_name="<img src=x onerror=alert(1)>")
    client.log_param(run.info.run_id, "note", "<b>bold</b> & <script>alert(1)</script>")
    client.log_metric(run.info.run_id, "score", 1.0)
    client.set_terminated(run.info.run_id)
    return {"experiment_id": experiment_id, "run_id": run.info.run_id}


@pytest.fixture
def mlflow_runs(mlflow_world):
    """The world's seeded runs read back with MLflow's own client: the oracle for order and values."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(mlflow_world.mlflow_url)

    def search(experiment_name: str, order_by: list[str] | None = None, filter_string: str = ""):
        experiment = client.get_experiment_by_name(experiment_name)
        return experiment.experiment_id, client.search_runs(
            [experiment.experiment_id], filter_string, order_by=order_by, max_results=1000
        )

    return search


async def get_json(jp_fetch, *path, params=None, expect=200):
    from tornado.httpclient import HTTPClientError

    try:
        response = await jp_fetch("studio-collab", *path, params=params or {})
    except HTTPClientError as err:
        assert err.code == expect, (err.code, err.response.body if err.response else None)
        return json.loads(err.response.body)
    assert response.code == expect, response.body
    return json.loads(response.body)


async def post_json(jp_fetch, *path, body=None, expect=200):
    from tornado.httpclient import HTTPClientError

    try:
        response = await jp_fetch("studio-collab", *path, method="POST", body=json.dumps(body or {}))
    except HTTPClientError as err:
        assert err.code == expect, (err.code, err.response.body if err.response else None)
        return json.loads(err.response.body)
    assert response.code == expect, response.body
    return json.loads(response.body)


@pytest.fixture
def experiments_lab(mlflow_world, world_env, tmp_path):
    """A lab on the world whose experiments cache lives 1 s, so what a test logs to MLflow shows at the next ask."""
    from tests.servers import start_lab

    server = start_lab(tmp_path / "root", args=["--StudioCollabApp.experiments_cache_ttl_seconds=1"])
    yield server
    server.stop()


def wait_rows(page, expected: list[str]) -> None:
    """Wait until the Experiments tab's runs table shows exactly these run ids, in this order."""
    page.wait_for_function(
        "ids => [...document.querySelectorAll('#studio-collab-experiments tbody tr[data-run-id]')]"
        ".map(r => r.dataset.runId).join() === ids.join()",
        arg=expected,
        timeout=30_000,
    )
