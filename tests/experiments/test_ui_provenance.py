"""In Debian chromium on the local Studio world: a notebook run made in a clone shows its code and data in the
Experiments table, and Restore brings that code back in a new folder and opens the notebook there."""

from __future__ import annotations

import json

import pytest

from tests.experiments.provenance_kit import REPO, files_of, lineage  # noqa: F401 - fixture
from tests.servers import start_lab
from tests.ui.conftest import browser, open_experiments, open_panel, page, screenshot  # noqa: F401 - fixtures

pytestmark = pytest.mark.ui


@pytest.fixture
def provenance_lab(lineage, world_env, local_world, tmp_path):  # noqa: F811
    config = tmp_path / "studio-collab.json"
    config.write_text(
        json.dumps(
            {
                "StudioCollabApp": {
                    "mlflow_tracking_uri": local_world.start_mlflow(),
                    "experiments_cache_ttl_seconds": 1,
                    "git_fetch_interval_seconds": 0,
                    "repositories": [{"url": world_env.repo_url(REPO)}],
                }
            }
        )
    )
    server = start_lab(tmp_path / "root", args=[f"--config={config}"])
    yield server
    server.stop()


def test_a_notebook_run_shows_code_and_data_and_restore_opens_it(page, provenance_lab, lineage):  # noqa: F811
    open_panel(page, provenance_lab)
    section = open_experiments(page)  # a main-area tab
    picker = section.get_by_label("Experiment", exact=True)
    picker.locator("option", has_text="provenance-tests").wait_for(state="attached", timeout=30_000)
    picker.select_option(label="provenance-tests")
    first = section.locator(f'tr[data-run-id="{lineage["first"]}"]')
    first.wait_for(timeout=30_000)
    code = first.locator("code.jp-StudioCollab-commit")
    assert code.inner_text() == lineage["first_commit"][:7] + "*"  # dirty: uncommitted changes recorded
    assert "churn-features" in first.inner_text()

    row = section.locator(f'tr[data-run-id="{lineage["notebook"]}"]')
    row.get_by_role("button", name="Restore").click()
    # the restored notebook opens in a tab of its own
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tabLabel", has_text="explore.ipynb").wait_for(timeout=90_000)
    restored = [p for p in (provenance_lab.root_dir / "restored-runs").iterdir()]
    assert len(restored) == 1
    expected = {p: h for p, h in lineage["snapshot"].items() if p != "weights.bin"}
    on_disk = {p: h for p, h in files_of(restored[0]).items() if ".ipynb_checkpoints" not in p}
    assert on_disk == expected
    screenshot(page, "experiments-restore.png")
    assert page.console_errors == []
