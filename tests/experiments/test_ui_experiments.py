"""The Experiments section in Debian chromium, on the local Studio world: sort by a metric, compare, chart."""

from __future__ import annotations

import json

import pytest
import requests

from tests.servers import start_lab
from tests.ui.conftest import browser, open_experiments, open_panel, page, screenshot  # noqa: F401 - fixtures

pytestmark = pytest.mark.ui


@pytest.fixture
def world_lab(mlflow_world, world_env, html_run, tmp_path):
    server = start_lab(tmp_path / "root", args=["--StudioCollabApp.experiments_cache_ttl_seconds=1"])
    yield server
    server.stop()


def test_sort_by_metric_compare_two_runs_and_chart(
    page,
    world_lab,
    mlflow_world,
    mlflow_runs,  # noqa: F811
    html_run,
):
    _, oracle = mlflow_runs("churn-prediction", ["metrics.val_accuracy DESC"])
    # No poll in this test's time: what shows comes from opening and from the user's own choices.
    answer = requests.put(
        f"{world_lab.url}lab/api/settings/studio-collab:plugin",
        headers=world_lab.headers,
        data=json.dumps({"raw": json.dumps({"pollIntervalSeconds": 600})}),
        timeout=10,
    )
    assert answer.status_code == 204, answer.text
    open_panel(page, world_lab)
    section = open_experiments(page)  # a main-area tab
    picker = section.get_by_label("Experiment", exact=True)
    picker.locator("option", has_text="churn-prediction").wait_for(state="attached", timeout=30_000)
    picker.select_option(label="churn-prediction")
    rows = section.locator("tbody tr[data-run-id]")
    rows.nth(len(oracle) - 1).wait_for(timeout=30_000)
    assert section.locator("td.jp-StudioCollab-ago").first.inner_text() == "latest"  # start-time order
    # the best run is starred from the start, by the metric its name says is better higher (val_accuracy)
    section.locator("tr.jp-StudioCollab-bestRun").wait_for(timeout=15_000)
    assert section.locator("tr.jp-StudioCollab-bestRun").get_attribute("data-run-id") == oracle[0].info.run_id

    section.locator("th button", has_text="val_accuracy").click()
    expected = [r.info.run_id for r in oracle]
    page.wait_for_function(
        "ids => [...document.querySelectorAll('[data-section=experiments] tbody tr[data-run-id]')]"
        ".map(r => r.dataset.runId).join() === ids.join()",
        arg=expected,
        timeout=15_000,
    )
    assert section.locator("th[aria-sort=descending]").inner_text().startswith("val_accuracy")
    # the star follows the metric just sorted by: the top row
    star = section.locator("tr.jp-StudioCollab-bestRun")
    star.wait_for(timeout=15_000)
    assert star.get_attribute("data-run-id") == expected[0]

    rows.nth(0).locator("input[type=checkbox]").check()
    rows.nth(1).locator("input[type=checkbox]").check()
    section.get_by_role("button", name="Compare", exact=True).click()
    comparison = section.locator(".jp-StudioCollab-compare")
    comparison.wait_for(timeout=15_000)
    a, b = oracle[0].data.params, oracle[1].data.params
    differing = sorted(k for k in a if a[k] != b[k])
    first_rows = comparison.locator("tbody").first.locator("tr")
    for index, name in enumerate(differing):  # the hyperparameters that differ come first
        assert first_rows.nth(index).locator("td").first.inner_text().startswith(name)
        assert "jp-StudioCollab-differs" in first_rows.nth(index).get_attribute("class")

    section.locator(".jp-StudioCollab-chart").get_by_role("button", name="Show chart").click()  # drawn on request
    chart = section.locator(".jp-StudioCollab-chart .jp-StudioCollab-metricChart")
    chart.locator("canvas, svg").first.wait_for(timeout=30_000)
    history = comparison.locator(".jp-StudioCollab-metricChart canvas, .jp-StudioCollab-metricChart svg")
    history.first.wait_for(timeout=30_000)
    screenshot(page, "experiments-compare.png")

    # Open MLflow UI: in Studio that is the tracking server's presigned link, opened in a new tab
    with page.context.expect_page(timeout=30_000) as opened:
        section.get_by_role("button", name="Open MLflow UI").click()
    new_tab = opened.value
    new_tab.wait_for_url(f"{mlflow_world.mlflow_url}/**", timeout=30_000)
    assert "authToken=" in new_tab.url
    new_tab.close()
    section.get_by_role("button", name="Copy tracking code").click()
    page.get_by_text("Copied: paste it into a notebook cell to track runs to arn:aws:sagemaker:").wait_for(
        timeout=10_000
    )

    # a param holding HTML is shown as text, never run
    picker.select_option(label="html-params")
    run_button = section.locator(".jp-StudioCollab-runName")
    run_button.wait_for(timeout=15_000)
    assert run_button.inner_text() == "<img src=x onerror=alert(1)>"
    run_button.click()
    section.get_by_text("<b>bold</b> & <script>alert(1)</script>").wait_for(timeout=10_000)
    assert section.locator("script, img[src=x], b").count() == 0
    assert page.console_errors == []
