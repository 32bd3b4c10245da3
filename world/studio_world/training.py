"""A real, small training script whose runs fill the world's MLflow server.

Logistic regression by mini-batch gradient descent (pure Python, no numpy) on a generated churn-like data set:
each run logs its hyperparameters, per-step ``train_loss``/``val_loss``/``val_accuracy`` and tags, so runs differ
for real and sorting by a metric means something. ``bulk_runs`` makes many runs quickly for benchmarks.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass


@dataclass
class Dataset:
    train: list[tuple[list[float], int]]
    val: list[tuple[list[float], int]]


def make_dataset(seed: int, n: int = 600, features: int = 6) -> Dataset:
    rng = random.Random(seed)
    truth = [rng.uniform(-2, 2) for _ in range(features)]
    rows = []
    for _ in range(n):
        x = [rng.gauss(0, 1) for _ in range(features)]
        z = sum(w * v for w, v in zip(truth, x)) + rng.gauss(0, 0.8)
        rows.append((x, 1 if z > 0 else 0))
    cut = int(n * 0.8)
    return Dataset(rows[:cut], rows[cut:])


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def _evaluate(weights: list[float], bias: float, rows) -> tuple[float, float]:
    loss = correct = 0.0
    for x, y in rows:
        p = _sigmoid(sum(w * v for w, v in zip(weights, x)) + bias)
        loss -= y * math.log(p + 1e-12) + (1 - y) * math.log(1 - p + 1e-12)
        correct += (p >= 0.5) == bool(y)
    return loss / len(rows), correct / len(rows)


def train(data: Dataset, learning_rate: float, l2: float, batch_size: int, steps: int, seed: int):
    """Yield (step, train_loss, val_loss, val_accuracy) after each step of gradient descent."""
    rng = random.Random(seed)
    weights = [0.0] * len(data.train[0][0])
    bias = 0.0
    for step in range(1, steps + 1):
        batch = rng.sample(data.train, min(batch_size, len(data.train)))
        grad_w = [0.0] * len(weights)
        grad_b = 0.0
        for x, y in batch:
            error = _sigmoid(sum(w * v for w, v in zip(weights, x)) + bias) - y
            for i, v in enumerate(x):
                grad_w[i] += error * v
            grad_b += error
        weights = [w - learning_rate * (g / len(batch) + l2 * w) for w, g in zip(weights, grad_w)]
        bias -= learning_rate * grad_b / len(batch)
        train_loss, _ = _evaluate(weights, bias, data.train)
        val_loss, val_accuracy = _evaluate(weights, bias, data.val)
        yield step, train_loss, val_loss, val_accuracy


def seed_mlflow(tracking_uri: str, experiments: list[str], runs_per_experiment: int = 4, steps: int = 25) -> dict:
    """Run the training script ``runs_per_experiment`` times in each experiment; returns {experiment: [run ids]}."""
    import os

    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")  # one "View run at" line per run
    client = MlflowClient(tracking_uri)
    created: dict[str, list[str]] = {}
    for e_index, name in enumerate(experiments):
        existing = client.get_experiment_by_name(name)
        experiment_id = (
            existing.experiment_id
            if existing
            else client.create_experiment(
                name, tags={"team": "data-science", "source": "studio-collab world training script"}
            )
        )
        data = make_dataset(seed=100 + e_index)
        created[name] = []
        for r_index in range(runs_per_experiment):
            rng = random.Random(f"{name}/{r_index}")
            params = {
                "learning_rate": round(rng.choice([0.01, 0.03, 0.1, 0.3, 0.6]), 3),
                "l2": rng.choice([0.0, 0.001, 0.01]),
                "batch_size": rng.choice([16, 32, 64]),
            }
            run = client.create_run(
                experiment_id,
                run_name=f"{name}-run-{r_index + 1}",
                tags={
                    "model_type": "logistic_regression",
                    "git_commit": f"{rng.getrandbits(40):010x}",
                    "mlflow.user": rng.choice(["alice", "bob", "carol"]),
                },
            )
            run_id = run.info.run_id
            started = int(time.time() * 1000)
            metrics = []
            for step, train_loss, val_loss, val_accuracy in train(
                data, params["learning_rate"], params["l2"], params["batch_size"], steps, seed=r_index
            ):
                at = started + step * 1000
                metrics += [
                    Metric("train_loss", train_loss, at, step),
                    Metric("val_loss", val_loss, at, step),
                    Metric("val_accuracy", val_accuracy, at, step),
                ]
            client.log_batch(
                run_id,
                metrics=metrics[:1000],
                params=[Param(k, str(v)) for k, v in params.items()],
                tags=[RunTag("epochs", str(steps))],
            )
            for offset in range(1000, len(metrics), 1000):  # MLflow takes at most 1,000 metrics a batch
                client.log_batch(run_id, metrics=metrics[offset : offset + 1000])
            client.set_terminated(run_id, "FINISHED", end_time=started + (steps + 1) * 1000)
            created[name].append(run_id)
    return created


def bulk_runs(server, experiment: str, count: int = 10_000) -> str:
    """``count`` finished runs with params and metrics in ``experiment`` of ``server`` (an MlflowServer); returns
    the experiment id.

    The experiment is created over REST (the server decides its artifact location); the runs are written in one
    transaction through MLflow's own SQLAlchemy models into the server's store: about a second for 10,000 runs,
    where one REST round trip per run takes minutes with a single server worker.
    """
    import uuid

    import sqlalchemy
    from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlMetric, SqlParam, SqlRun, SqlTag
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from mlflow.tracking import MlflowClient

    client = MlflowClient(server.url)
    existing = client.get_experiment_by_name(experiment)
    if existing is not None and client.search_runs([existing.experiment_id], max_results=1):
        return existing.experiment_id  # made by an earlier caller on this server: the same runs again would clash
    experiment_id = existing.experiment_id if existing else client.create_experiment(experiment)
    location = client.get_experiment(experiment_id).artifact_location
    store = SqlAlchemyStore(server.backend_store_uri, str(server.state_dir / "artifacts"))
    base = int(time.time() * 1000) - count * 1000
    runs, params, tags, metrics = [], [], [], []
    for index in range(count):
        # Seeded by experiment and index: the same runs each time for one experiment, and run ids (the store's
        # primary key) of their own for each experiment on a shared server.
        rng = random.Random(f"{experiment}/{index}")
        run_id = uuid.UUID(int=rng.getrandbits(128)).hex
        at = base + index * 1000
        runs.append(
            dict(
                run_uuid=run_id,
                name=f"bulk-{index:05d}",
                source_type="LOCAL",
                source_name="bulk",
                entry_point_name="",
                user_id=rng.choice(["alice", "bob", "carol"]),
                status="FINISHED",
                start_time=at,
                end_time=at + 500,
                source_version="",
                lifecycle_stage="active",
                artifact_uri=f"{location}/{run_id}/artifacts",
                experiment_id=int(experiment_id),
            )
        )
        params += [
            dict(key="learning_rate", value=str(round(rng.uniform(0.001, 0.5), 4)), run_uuid=run_id),
            dict(key="batch_size", value=str(rng.choice([16, 32, 64])), run_uuid=run_id),
        ]
        tags.append(dict(key="mlflow.runName", value=f"bulk-{index:05d}", run_uuid=run_id))
        for key, value in (
            ("val_accuracy", round(rng.uniform(0.5, 0.99), 4)),
            ("val_loss", round(rng.uniform(0.05, 0.9), 4)),
        ):
            metrics.append(dict(key=key, value=value, timestamp=at, step=0, is_nan=False, run_uuid=run_id))
    with store.ManagedSessionMaker() as session:
        # Core bulk inserts of MLflow's own tables: one statement per table, one transaction.
        for model, values in (
            (SqlRun, runs),
            (SqlParam, params),
            (SqlTag, tags),
            (SqlMetric, metrics),
            (SqlLatestMetric, metrics),
        ):
            session.execute(model.__table__.insert(), values)
        # Table statistics: without them SQLite plans MLflow's order-by-metric join over 10,000 runs as a full
        # nested scan (seconds a page); with them it picks the indexes.
        session.execute(sqlalchemy.text("ANALYZE"))
    store.engine.dispose()
    return experiment_id
