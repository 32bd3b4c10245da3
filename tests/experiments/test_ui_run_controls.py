"""The Experiments tab's run controls in Debian chromium, judged against MLflow's own client on the world's real
MLflow server: Load more, the Sort by selector and its direction, Best by, the filter, the metric to chart."""

from __future__ import annotations

import uuid

import pytest

from tests.experiments.conftest import wait_rows
from tests.ui.conftest import browser, open_experiments, open_panel, page  # noqa: F401 - fixtures

pytestmark = pytest.mark.ui

RUNS = 60  # more than one page of the table (50)


@pytest.fixture
def many_runs(mlflow_world) -> str:
    """An experiment of its own with 60 finished runs: lr alternating, score rising, loss falling."""
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    client = MlflowClient(mlflow_world.mlflow_url)
    name = f"ui-controls-{uuid.uuid4().hex[:8]}"
    experiment_id = client.create_experiment(name)
    for i in range(RUNS):
        run = client.create_run(experiment_id, run_name=f"run-{i:02d}", start_time=1_700_000_000_000 + i * 1000)
        client.log_batch(
            run.info.run_id,
            params=[Param("lr", "0.1" if i % 2 else "0.01")],
            metrics=[Metric("score", i / 100, 0, 0), Metric("loss", 1 - i / 200, 0, 0)],
        )
        client.set_terminated(run.info.run_id)
    return name


def shown_ids(page) -> list[str]:
    return page.evaluate(
        "() => [...document.querySelectorAll('#studio-collab-experiments tbody tr[data-run-id]')]"
        ".map(r => r.dataset.runId)"
    )


def test_load_more_sort_best_filter_and_chart_metric(page, experiments_lab, many_runs, mlflow_runs):
    def oracle(order_by: list[str], filter_string: str = "") -> list[str]:
        return [r.info.run_id for r in mlflow_runs(many_runs, order_by, filter_string)[1]]

    open_panel(page, experiments_lab)
    section = open_experiments(page)
    picker = section.get_by_label("Experiment", exact=True)
    picker.locator("option", has_text=many_runs).wait_for(state="attached", timeout=30_000)
    picker.select_option(label=many_runs)

    # the first page in start-time order, then Load more brings the rest, in the same order
    by_start = oracle(["attributes.start_time DESC"])
    wait_rows(page, by_start[:50])
    section.get_by_role("button", name="Load 50 more").click()
    wait_rows(page, by_start)

    # Sort by a metric (highest first), then the direction button turns it around
    section.get_by_label("Sort by", exact=True).select_option(label="metric: score")
    wait_rows(page, oracle(["metrics.score DESC"])[:50])
    section.get_by_role("button", name="Descending; switch to ascending").click()
    wait_rows(page, oracle(["metrics.score ASC"])[:50])

    # Best by: the star goes to the run MLflow ranks first for that choice (one of the rows shown: the highest
    # loss is the lowest score, at the top of this ascending order)
    section.get_by_label("Best by", exact=True).select_option(label="highest loss")
    star = section.locator("tr.jp-StudioCollab-bestRun")
    star.wait_for(timeout=30_000)
    page.wait_for_function(
        "id => document.querySelector('#studio-collab-experiments tr.jp-StudioCollab-bestRun')?.dataset.runId === id",
        arg=oracle(["metrics.loss DESC"])[0],
        timeout=30_000,
    )

    # the filter: MLflow's own search syntax, the same rows MLflow's client finds
    box = section.get_by_label("Filter runs")
    box.fill("params.lr = '0.1'")
    box.press("Enter")
    wait_rows(page, oracle(["metrics.score ASC"], "params.lr = '0.1'"))
    assert len(shown_ids(page)) == RUNS // 2

    # the metric to chart, drawn when asked for
    section.get_by_label("Metric to chart").select_option("loss")
    section.get_by_role("button", name="Show chart").click()
    section.get_by_label("loss across the runs shown").wait_for(timeout=30_000)
    assert page.console_errors == []
