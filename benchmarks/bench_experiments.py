"""Top 50 of 10,000 MLflow runs by a metric, through the extension, against MLflow's own client.

Method: the local world's real `mlflow server` (sqlite store, one worker) holds 10,000 runs made by the world's
bulk generator (1,000 in smoke mode), with table statistics gathered (SQLite's ANALYZE, which a server database
keeps by itself) so that the store answers an order-by-metric query in milliseconds instead of scanning. A
`jupyter server` with studio_collab points at it with caching off (TTL 0), so every request goes to MLflow.
Figure: median time of `GET studio-collab/experiments/mlflow/<id>/runs?order_by=metrics.val_accuracy DESC&limit=50`
(over HTTP, authenticated) against `MlflowClient.search_runs(..., order_by=[...], max_results=50)` made in the
same run against the same server; both return the same 50 runs (checked). One warm-up each, then interleaved
rounds, median of 11 (1 in smoke mode). Budget: 1.2x.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

import requests

from tests.servers import start_lab

from .framework import Figure, median, ratio_figure

ORDER = "metrics.val_accuracy DESC"


def run(smoke: bool) -> list[Figure]:
    from mlflow.tracking import MlflowClient

    from studio_world.mlflow_server import MlflowServer
    from studio_world.training import bulk_runs

    count, repetitions = (1_000, 1) if smoke else (10_000, 11)
    with tempfile.TemporaryDirectory(prefix="bench-experiments-") as scratch:
        work = Path(scratch)
        mlflow = MlflowServer(work / "mlflow").start()
        lab = None
        try:
            experiment_id = bulk_runs(mlflow, "bench-runs", count)
            with sqlite3.connect(mlflow.backend_store_uri.removeprefix("sqlite:///")) as db:
                db.execute("ANALYZE")
            lab = start_lab(work / "root", command="server", args=[
                f"--StudioCollabApp.mlflow_tracking_uri={mlflow.url}",
                "--StudioCollabApp.experiments_cache_ttl_seconds=0"],
                env={"STUDIO_COLLAB_RESOURCE_METADATA": str(work / "absent.json")})
            client = MlflowClient(mlflow.url)
            session = requests.Session()
            url = lab.api(f"experiments/mlflow/{experiment_id}/runs")

            def ours() -> tuple[float, list[str]]:
                began = time.perf_counter()
                answer = session.get(url, params={"order_by": ORDER, "limit": 50}, headers=lab.headers, timeout=60)
                seconds = time.perf_counter() - began
                answer.raise_for_status()
                return seconds, [r["id"] for r in answer.json()["runs"]]

            def theirs() -> tuple[float, list[str]]:
                began = time.perf_counter()
                runs = client.search_runs([experiment_id], order_by=[ORDER], max_results=50)
                return time.perf_counter() - began, [r.info.run_id for r in runs]

            mine, plain = [], []
            for round_number in range(repetitions + 1):
                (t_ours, ids_ours), (t_theirs, ids_theirs) = ours(), theirs()
                if ids_ours != ids_theirs or len(ids_ours) != 50:
                    raise RuntimeError("the extension and MlflowClient disagree on the top 50 runs")
                if round_number:  # the first round warms both paths
                    mine.append(t_ours)
                    plain.append(t_theirs)
        finally:
            if lab is not None:
                lab.stop()
            mlflow.stop()
    return [ratio_figure(f"experiments: top 50 of {count:,} runs by a metric", median(mine), median(plain), "s",
                         1.2, note="GET .../runs vs MlflowClient.search_runs, same server")]
