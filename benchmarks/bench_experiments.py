"""Top 50 of 10,000 MLflow runs by a metric, through the extension's route, against MLflow's own client.

Method: the Studio-like server (`benchmarks.studio_like`: jupyter lab at /jupyterlab/default in a Studio space,
AWS's latency profile) finds MLflow as Studio does: the domain's tracking server, resolved through the world's
SageMaker API to the world's real `mlflow server` (sqlite store, one worker). That server holds 10,000 runs made
by the world's bulk generator (1,000 in smoke mode), with table statistics gathered (SQLite's ANALYZE, which a
server database keeps by itself). The product's experiments cache is off (TTL 0), so every request goes to MLflow.
Figure: median time of `GET studio-collab/experiments/mlflow/<id>/runs?order_by=metrics.val_accuracy DESC&limit=50`
(over HTTP, authenticated, the JSON parsed) against `MlflowClient.search_runs(..., order_by=[...],
max_results=50)` (which parses and builds its objects) in the same run against the same server, one request at a
time on both sides; both return the same 50 runs (checked). One warm-up each, then interleaved rounds, median of
11 (1 in smoke mode). Budget: 1.2x.
Unbudgeted: the first `GET experiments` of a freshly started server (tracking servers listed and described at
AWS's latency, MLflow asked for its experiments): what a user waits for when the panel first opens.
Also: `GET experiments` while the MLflow URL refuses connections, median (1 in smoke mode); budget half of the
10 s MLflow timeout (a dead server must cost no timeout).
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

import requests

from .framework import Figure, limit_figure, median, ratio_figure
from .studio_like import StudioLike

ORDER = "metrics.val_accuracy DESC"


def run(smoke: bool) -> list[Figure]:
    from mlflow.tracking import MlflowClient
    from studio_world.training import bulk_runs

    count, repetitions = (1_000, 1) if smoke else (10_000, 11)
    with tempfile.TemporaryDirectory(prefix="bench-experiments-") as scratch:
        with StudioLike.start(Path(scratch), with_mlflow=True) as studio:
            mlflow = studio.world.mlflow_server
            experiment_id = bulk_runs(mlflow, "bench-runs", count)
            with sqlite3.connect(mlflow.backend_store_uri.removeprefix("sqlite:///")) as db:
                db.execute("ANALYZE")
            lab = studio.lab("experiments", config={"experiments_cache_ttl_seconds": 0})
            try:
                session = requests.Session()
                began = time.perf_counter()
                sources = session.get(lab.api("experiments"), headers=lab.headers, timeout=120).json()["sources"]
                cold = time.perf_counter() - began
                mlflow_source = next(s for s in sources if s["name"] == "mlflow")
                if not mlflow_source["available"]:
                    raise RuntimeError(f"MLflow unavailable through the domain's tracking server: {mlflow_source}")
                client = MlflowClient(mlflow.url)
                url = lab.api(f"experiments/mlflow/{experiment_id}/runs")

                def ours() -> tuple[float, list[str]]:
                    began = time.perf_counter()
                    answer = session.get(url, params={"order_by": ORDER, "limit": 50}, headers=lab.headers, timeout=60)
                    answer.raise_for_status()
                    runs = answer.json()["runs"]  # parsed inside the clock, as MlflowClient parses inside its own
                    return time.perf_counter() - began, [r["id"] for r in runs]

                def theirs() -> tuple[float, list[str]]:
                    began = time.perf_counter()
                    runs = client.search_runs([experiment_id], order_by=[ORDER], max_results=50)
                    return time.perf_counter() - began, [r.info.run_id for r in runs]

                mine, plain = [], []
                for round_number in range(repetitions + 1):
                    pair = (ours(), theirs()) if round_number % 2 == 0 else tuple(reversed((theirs(), ours())))
                    (t_ours, ids_ours), (t_theirs, ids_theirs) = pair
                    if ids_ours != ids_theirs or len(ids_ours) != 50:
                        raise RuntimeError("the extension and MlflowClient disagree on the top 50 runs")
                    if round_number:  # the first round warms both paths
                        mine.append(t_ours)
                        plain.append(t_theirs)
            finally:
                lab.stop()
            down = mlflow_down_figure(studio, repetitions)
    return [
        ratio_figure(
            f"experiments: top 50 of {count:,} runs by a metric",
            median(mine),
            median(plain),
            "s",
            1.2,
            note="GET .../runs (JSON parsed) vs MlflowClient.search_runs, same server, sequential",
        ),
        Figure(
            "experiments: first GET experiments on a fresh server",
            round(cold, 3),
            "s",
            None,
            None,
            "-",
            None,
            "tracking servers found through SageMaker at AWS's latency (docs/aws-latency.md), then MLflow",
        ),
        down,
    ]


MLFLOW_TIMEOUT_SECONDS = 10.0  # the product's default mlflow_timeout_seconds


def mlflow_down_figure(studio: StudioLike, repetitions: int) -> Figure:
    """`GET experiments` while the MLflow server refuses connections (a loopback port held bound, never listening):
    the section still answers (the other sources, MLflow marked unavailable) without waiting for MLflow's timeout.
    Median over ``repetitions`` requests, the experiments cache off. Was a `< 10 s` threshold in
    tests/hardening/test_faults.py::test_mlflow_killed."""
    import socket

    with socket.socket() as refusing:
        refusing.bind(("127.0.0.1", 0))
        config = {
            "mlflow_tracking_uri": f"http://127.0.0.1:{refusing.getsockname()[1]}",
            "mlflow_timeout_seconds": MLFLOW_TIMEOUT_SECONDS,
            "experiments_cache_ttl_seconds": 0,
        }
        lab = studio.lab("experiments-mlflow-down", config=config)
        try:
            session, times = requests.Session(), []
            for _ in range(repetitions):
                began = time.perf_counter()
                answer = session.get(lab.api("experiments"), headers=lab.headers, timeout=120)
                answer.raise_for_status()
                sources = {s["name"]: s for s in answer.json()["sources"]}
                times.append(time.perf_counter() - began)
                if sources["mlflow"]["available"]:
                    raise RuntimeError("MLflow answered on a port nobody listens on")
        finally:
            lab.stop()
    return limit_figure(
        "experiments: GET experiments with the MLflow server down",
        median(times),
        "s",
        MLFLOW_TIMEOUT_SECONDS / 2,
        note=f"connections refused; MLflow timeout {MLFLOW_TIMEOUT_SECONDS:g} s; the other sources still listed",
    )
