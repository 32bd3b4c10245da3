"""HTML and script in every name the panel shows, in Debian chromium on a real `jupyter lab` on the local world.

The names come from where people (or their tools) really put them: the admin's catalog (repo names and
descriptions), notebook file names (the share list, the share dialog, the import page), MLflow (experiment and
run names, params, tags), SageMaker where AWS allows free text (a shared space's display name, a training job's
hyperparameters and failure reason). Each must show as literal text: nothing runs (``window.__pwned`` stays
undefined) and no element is made from it (no ``img[src=x]``, no injected ``svg``/``script``/``b``)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
import requests

from tests.servers import start_lab
from tests.share.conftest import make_notebook
from tests.ui.conftest import browser, open_experiments, open_panel, page, screenshot, show_panel  # noqa: F401 - browser, page: fixtures

pytestmark = [pytest.mark.ui, pytest.mark.world]

IMG = '<img src=x onerror="window.__pwned=1">'
SCRIPT = "<script>window.__pwned=2</script>"
SVG = '<svg onload="window.__pwned=3">'
BOLD = "<b>bold</b> & <i>x</i>"
IMG_NOTEBOOK = f"{IMG}.ipynb"  # a file name cannot hold '/', so no closing tag here
SVG_NOTEBOOK = f"{SVG}.ipynb"
EXPERIMENT = f"hostile {IMG}"
JOB = "hostile-hp-job"
# Elements that only exist if a name was parsed as HTML (JupyterLab itself has no img[src=x], script in the
# panel, svg with onload, or b/i inside our sections).
INJECTED = "img[src=x], svg[onload], [onerror], [onload]"


def assert_clean(page, where: str) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined", f"script ran in {where}"
    assert page.locator(INJECTED).count() == 0, f"markup was parsed in {where}"


def visible_text(scope, text: str, timeout: float = 30_000):
    """The exact text is shown somewhere in scope (as text, so markup in it did not become elements)."""
    locator = scope.get_by_text(text, exact=False).first
    locator.wait_for(timeout=timeout)
    return locator


def mlflow_hostile_runs(url: str) -> str:
    """Two runs with HTML in their names, params and tags, in an experiment whose name is HTML too (made once
    per world: MLflow's runs outlive a test)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(url)
    existing = client.get_experiment_by_name(EXPERIMENT)
    if existing is not None:
        return existing.experiment_id
    experiment_id = client.create_experiment(EXPERIMENT)
    for name, params, score in (
        (IMG, {"note": SCRIPT, "markup": BOLD}, 0.5),
        (SCRIPT, {"note": IMG, "markup": "plain"}, 0.75),
    ):
        run = client.create_run(experiment_id, run_name=name, tags={"why": SVG})
        for key, value in params.items():
            client.log_param(run.info.run_id, key, value)
        for step in range(3):
            client.log_metric(run.info.run_id, "score", score + step / 10, step=step)
        client.set_terminated(run.info.run_id)
    return experiment_id


def hostile_training_job(world) -> None:
    """A failed training job: hyperparameter names and values are free text in SageMaker, and a failure reason
    carries whatever the training script wrote."""
    sm = world.client("sagemaker")
    account = world.seed.execution_role_arn.split(":")[4]
    sm.create_training_job(
        TrainingJobName=JOB,
        RoleArn=world.seed.execution_role_arn,
        HyperParameters={IMG: SCRIPT, "eta": SVG},
        AlgorithmSpecification={
            "TrainingImage": f"683313688378.dkr.ecr.{world.region}.amazonaws.com/sagemaker-xgboost:1.7-1",
            "TrainingInputMode": "File",
        },
        OutputDataConfig={"S3OutputPath": f"s3://sagemaker-{world.region}-{account}/training/"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )
    started = datetime.now(timezone.utc) - timedelta(minutes=20)
    world.override(
        "training_job",
        {"Name": JOB},
        {
            "TrainingJobStatus": "Failed",
            "SecondaryStatus": "Failed",
            "CreationTime": started.isoformat(),
            "TrainingStartTime": started.isoformat(),
            "TrainingEndTime": (started + timedelta(minutes=5)).isoformat(),
            "LastModifiedTime": (started + timedelta(minutes=5)).isoformat(),
            "FailureReason": f"AlgorithmError: {SCRIPT} {BOLD}",
        },
    )


@pytest.fixture
def hostile_lab(world_env, mlflow_world, tmp_path):
    experiment_id = mlflow_hostile_runs(mlflow_world.mlflow_url)
    hostile_training_job(world_env)
    world_env.client("sagemaker").update_space(
        DomainId=world_env.domain_id, SpaceName="team-space", SpaceDisplayName=IMG
    )
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "StudioCollabApp": {
                    "repositories": [
                        {"url": world_env.repo_url("team-notebooks"), "name": IMG, "description": SCRIPT},
                        {"url": world_env.repo_url("churn-model"), "name": SCRIPT, "description": f"{IMG} {BOLD}"},
                    ],
                    "git_fetch_interval_seconds": 0,
                    "experiments_cache_ttl_seconds": 1,
                    "share_folder": str(tmp_path / "shares"),
                }
            }
        )
    )
    root = tmp_path / "root"
    for name in (IMG_NOTEBOOK, SVG_NOTEBOOK):
        make_notebook(root / name)
    server = start_lab(root, env={"JUPYTER_CONFIG_DIR": str(config_dir)})
    server.extra["experiment_id"] = experiment_id
    yield server
    server.stop()


@pytest.mark.timeout(600)
def test_hostile_names_render_as_text_in_every_section(page, hostile_lab, world_env):  # noqa: F811
    server = hostile_lab
    shared = requests.post(
        server.api("shares"),
        headers=server.headers,
        timeout=60,
        json={"path": IMG_NOTEBOOK, "target_space": "team-space"},
    )
    assert shared.status_code == 201, shared.text
    assert shared.json()["share"]["title"] == IMG_NOTEBOOK

    # Positive control: the same strings, put into the page as HTML on purpose, do run and do make elements,
    # so the checks below can see an injection when there is one.
    page.set_content("<html><body></body></html>")
    page.evaluate("html => { document.body.innerHTML = html; }", IMG + SVG)
    page.wait_for_function("window.__pwned !== undefined", timeout=10_000)
    assert page.locator(INJECTED).count() >= 2
    with pytest.raises(AssertionError):
        assert_clean(page, "the control page")

    open_panel(page, server)
    assert_clean(page, "the panel at load")

    # --- Repositories: names and descriptions from the admin's catalog; a clone's notification ---------
    git = page.locator("[data-section='git']")
    for text in (IMG, SCRIPT, f"{IMG} {BOLD}"):
        visible_text(git, text)
    repo = git.locator(".jp-StudioCollab-repo").filter(has=page.get_by_text(IMG, exact=True))
    assert repo.count() == 1
    repo.locator('button[data-action="clone"]').click()
    repo.locator('button[data-action="sync"]').wait_for(timeout=60_000)
    visible_text(page, f"{IMG} is cloned into", timeout=30_000)
    assert_clean(page, "the Repositories section")

    # --- Share: my shares (file names), the revoke dialog, the share dialog (a space's display name) ------
    share = page.locator("[data-section='share']")
    row = share.locator(".jp-StudioCollab-share")
    row.first.wait_for(timeout=30_000)
    assert share.locator(".jp-StudioCollab-shareName").first.inner_text() == IMG_NOTEBOOK
    row.first.get_by_role("button", name="Revoke").click()
    dialog = page.locator(".jp-Dialog")
    visible_text(dialog, f"Revoke the share of {IMG_NOTEBOOK}?")
    assert_clean(page, "the revoke dialog")
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="detached")

    page.goto(f"{server.url}lab/tree/{quote(SVG_NOTEBOOK)}?token={server.token}")
    page.locator(".jp-NotebookPanel").first.wait_for(timeout=60_000)
    page.locator(".lm-TabBar-tab", has_text=SVG_NOTEBOOK).first.wait_for(timeout=60_000)
    show_panel(page)
    share = page.locator("[data-section='share']")
    share.get_by_role("button", name="Share the open notebook…").click()
    dialog = page.locator(".jp-Dialog")
    visible_text(dialog, f"Share {SVG_NOTEBOOK}")
    option = dialog.locator("option", has_text=IMG)
    option.wait_for(state="attached", timeout=30_000)
    assert option.inner_text() == f"{IMG} (team-space)"
    assert_clean(page, "the share dialog")
    dialog.get_by_role("button", name="Share", exact=True).click()
    visible_text(page, f"Link to {SVG_NOTEBOOK} for team-space copied", timeout=60_000)
    page.locator(".jp-Dialog").get_by_role("button", name="Done").click()  # the link, shown in a dialog
    share.locator(".jp-StudioCollab-shareName", has_text=SVG_NOTEBOOK).wait_for(timeout=30_000)
    assert_clean(page, "the share notification and list")

    # --- Experiments: MLflow experiment and run names, params, tags; compare; the charts ----------------
    experiments = open_experiments(page)  # a main-area tab
    picker = experiments.get_by_label("Experiment", exact=True)
    picker.locator("option", has_text=EXPERIMENT).wait_for(state="attached", timeout=30_000)
    picker.select_option(label=EXPERIMENT)
    names = experiments.locator(".jp-StudioCollab-runName")
    names.nth(1).wait_for(timeout=30_000)
    assert sorted(names.all_inner_texts()) == sorted([IMG, SCRIPT])
    names.filter(has_text=IMG).click()
    details = experiments.locator(".jp-StudioCollab-runDetailsBody")
    for text in (SCRIPT, BOLD, SVG):  # the param values and the tag
        visible_text(details, text)
    rows = experiments.locator("tbody tr[data-run-id]")
    rows.nth(0).locator("input[type=checkbox]").check()
    rows.nth(1).locator("input[type=checkbox]").check()
    experiments.get_by_role("button", name="Compare", exact=True).click()
    comparison = experiments.locator(".jp-StudioCollab-compare")
    comparison.wait_for(timeout=15_000)
    for text in (IMG, SCRIPT, BOLD):
        visible_text(comparison, text)
    experiments.locator(".jp-StudioCollab-chart").get_by_role("button", name="Show chart").click()  # on request
    chart = experiments.locator(
        ".jp-StudioCollab-chart .jp-StudioCollab-metricChart canvas, "
        ".jp-StudioCollab-chart .jp-StudioCollab-metricChart svg"
    ).first
    chart.wait_for(timeout=30_000)
    comparison.locator(".jp-StudioCollab-metricChart canvas, .jp-StudioCollab-metricChart svg").first.wait_for(
        timeout=30_000
    )
    tooltip = hover_for_tooltip(page, chart)
    assert tooltip is not None and (IMG in tooltip or SCRIPT in tooltip), tooltip
    assert_clean(page, "the Experiments section (MLflow)")
    screenshot(page, "hostile-names-experiments.png")

    # SageMaker training jobs: hyperparameter names and values, and the failure reason
    picker.select_option(label="All training jobs")
    job = experiments.locator(".jp-StudioCollab-runName", has_text=JOB)
    job.wait_for(timeout=30_000)
    job.click()
    details = experiments.locator(".jp-StudioCollab-runDetailsBody")
    for text in (IMG, SCRIPT, SVG, f"AlgorithmError: {SCRIPT} {BOLD}"):
        visible_text(details, text)
    assert_clean(page, "the Experiments section (training jobs)")

    # --- Cost: AWS allows no free text in the names it lists; the section must still be clean ------------
    cost = page.locator("[data-section='cost']")
    cost.locator(".jp-StudioCollab-burnRate").wait_for(timeout=30_000)
    assert_clean(page, "the Cost section")
    assert page.locator("[data-section] script, [data-section] b").count() == 0

    # --- The server's own pages: the open link of a repo named with a closing </script>, the import page --
    repos = requests.get(server.api("repos"), headers=server.headers, timeout=30).json()["repos"]
    script_repo = next(r for r in repos if r["name"] == SCRIPT)
    page.route("**/studio-collab/repos/*/clone", lambda route: route.abort())  # stay on the page
    page.goto(f"{server.url}studio-collab/open?repo={script_repo['id']}&path=README.md&token={server.token}")
    visible_text(page, f"Open {SCRIPT}")  # the page asks first (it acts only on a click)
    assert page.title() == f"Open {SCRIPT}"
    assert_clean(page, "the open page")
    page.unroute("**/studio-collab/repos/*/clone")
    share_id = shared.json()["share"]["id"]
    page.goto(f"{server.url}studio-collab/import?share={share_id}&token={server.token}")
    visible_text(page, IMG_NOTEBOOK)
    assert_clean(page, "the import page")
    assert page.console_errors == []


def hover_for_tooltip(page, chart) -> str | None:
    """Moves the pointer over the chart until Vega shows a tooltip; returns its text (None if none)."""
    chart.scroll_into_view_if_needed()
    return chart.evaluate("""async canvas => {
        const box = canvas.getBoundingClientRect();
        const shown = () => document.querySelector('#vg-tooltip-element.visible');
        for (let y = 2; y < box.height; y += 2) {
            for (let x = 2; x < box.width; x += 2) {
                const at = {clientX: box.left + x, clientY: box.top + y, bubbles: true};
                // What a real pointer would hit there: the canvas, or an SVG chart's mark (charts draw as SVG).
                const target = document.elementFromPoint(at.clientX, at.clientY) || canvas;
                target.dispatchEvent(new PointerEvent('pointermove', at));
                target.dispatchEvent(new MouseEvent('mousemove', at));
                if (shown()) { return shown().innerText; }
            }
            await new Promise(resolve => setTimeout(resolve, 0));
            if (shown()) { return shown().innerText; }
        }
        return null;
    }""")
