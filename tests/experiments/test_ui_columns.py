"""The Experiments tab's column chooser in Debian chromium, judged against MLflow's own client on the world's real
MLflow server: a param column joins the table with MLflow's values and sorts as MLflow sorts; a metric column
leaves it; the choice is still there after a reload (JupyterLab's state database, saved in the workspace)."""

from __future__ import annotations

import uuid

import pytest

from tests.experiments.conftest import wait_rows
from tests.ui.conftest import (  # noqa: F401 - fixtures
    browser,
    open_experiments,
    open_panel,
    page,
    wait_workspace_saved,
)

pytestmark = pytest.mark.ui

RUNS = 5
HEADERS = "() => [...document.querySelectorAll('#studio-collab-experiments thead th')].map(th => th.innerText.trim())"


@pytest.fixture
def column_runs(mlflow_world) -> str:
    """An experiment of its own: five runs, each with its own lr and optimizer, and two metrics."""
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    client = MlflowClient(mlflow_world.mlflow_url)
    name = f"ui-columns-{uuid.uuid4().hex[:8]}"
    experiment_id = client.create_experiment(name)
    for i, lr in enumerate(["0.3", "0.001", "0.05", "0.1", "0.02"]):
        run = client.create_run(experiment_id, run_name=f"col-{i}", start_time=1_700_000_000_000 + i * 1000)
        client.log_batch(
            run.info.run_id,
            params=[Param("lr", lr), Param("optimizer", f"adam-{i}")],
            metrics=[Metric("score", i / 10, 0, 0), Metric("loss", 1 - i / 20, 0, 0)],
        )
        client.set_terminated(run.info.run_id)
    return name


def column_cells(page, header: str) -> dict[str, str]:
    """run id → the text of the cell under the header that reads `header` (arrow aside)."""
    return page.evaluate(
        """header => {
            const table = document.querySelector('#studio-collab-experiments table');
            const heads = [...table.querySelectorAll('thead th')].map(th => th.innerText.replace(/[▼▲]/g, '').trim());
            const index = heads.indexOf(header);
            if (index < 0) return null;
            return Object.fromEntries([...table.querySelectorAll('tbody tr[data-run-id]')]
                .map(row => [row.dataset.runId, row.children[index].innerText.trim()]));
        }""",
        header,
    )


def test_column_chooser_adds_a_param_column_and_removes_a_metric(page, experiments_lab, column_runs, mlflow_runs):
    _, by_start = mlflow_runs(column_runs, ["attributes.start_time DESC"])
    open_panel(page, experiments_lab)
    section = open_experiments(page)
    picker = section.get_by_label("Experiment", exact=True)
    picker.locator("option", has_text=column_runs).wait_for(state="attached", timeout=30_000)
    picker.select_option(label=column_runs)
    wait_rows(page, [r.info.run_id for r in by_start])

    # by default: the metrics, no param
    headers = page.evaluate(HEADERS)
    assert "loss" in headers and "param lr" not in headers, headers

    # the chooser lists every metric and param key of the runs, and opens from the keyboard
    summary = section.locator(".jp-StudioCollab-columns > summary")
    summary.focus()
    page.keyboard.press("Enter")
    chooser = section.locator(".jp-StudioCollab-columns")
    params = chooser.locator("fieldset", has_text="Params")
    metrics = chooser.locator("fieldset", has_text="Metrics")
    assert params.get_by_role("checkbox").count() == 2
    assert metrics.get_by_role("checkbox").count() == 2

    # a param column joins the table: each run's cell is MLflow's own value of that param
    params.get_by_label("lr", exact=True).check()
    page.wait_for_function(f"() => ({HEADERS})().includes('param lr')", timeout=10_000)
    assert column_cells(page, "param lr") == {r.info.run_id: r.data.params["lr"] for r in by_start}

    # its header sorts on the server as MLflow orders by that param
    section.get_by_role("button", name="param lr").click()
    _, by_lr = mlflow_runs(column_runs, ["params.lr DESC"])
    wait_rows(page, [r.info.run_id for r in by_lr])
    assert [r.data.params["lr"] for r in by_lr] == sorted((r.data.params["lr"] for r in by_start), reverse=True)

    # a metric column leaves the table; the others stay, with MLflow's values
    metrics.get_by_label("loss", exact=True).uncheck()
    page.wait_for_function(f"() => !({HEADERS})().includes('loss')", timeout=10_000)
    assert column_cells(page, "loss") is None
    assert column_cells(page, "param lr") == {r.info.run_id: r.data.params["lr"] for r in by_start}
    assert set(column_cells(page, "score").values()) == {f"{r.data.metrics['score']:g}" for r in by_start}

    # the chooser wraps inside the tab: nothing overflows it horizontally
    body = page.locator("#studio-collab-experiments")
    assert body.evaluate("e => e.scrollWidth <= e.clientWidth"), "the Experiments tab overflows horizontally"
    assert page.console_errors == []

    # the choice outlives the page: saved in the workspace, back after a reload for that experiment
    wait_workspace_saved(
        experiments_lab,
        lambda data: any(
            c.get("key") == "lr" for c in next(iter(data.get("studio-collab:experiment-columns", {}).values()), [])
        ),
    )
    page.reload()
    section = open_experiments(page)
    picker = section.get_by_label("Experiment", exact=True)
    picker.locator("option", has_text=column_runs).wait_for(state="attached", timeout=30_000)
    picker.select_option(label=column_runs)
    page.wait_for_function(f"() => ({HEADERS})().includes('param lr')", timeout=30_000)
    headers = page.evaluate(HEADERS)
    assert "loss" not in [h.replace("▼", "").replace("▲", "").strip() for h in headers], headers
    assert column_cells(page, "param lr") == {r.info.run_id: r.data.params["lr"] for r in by_start}
    assert page.console_errors == []
