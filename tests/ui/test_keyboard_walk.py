"""The panel with the whole local Studio world behind it (catalog repos, a share, MLflow experiments, cost), in
Debian chromium: a keyboard-only walk through every section (Tab and the arrow keys reach every row action,
each focused element shows its focus and is scrolled into view), no horizontal overflow at the default sidebar
width nor at 230 px, and not one console warning or error from studio-collab on any page it serves: the panel,
the Experiments tab, the open page, the import in the lab and its no-JavaScript fallback page."""

from __future__ import annotations

import json
import time

import nbformat
import pytest
import requests

from tests.servers import start_lab
from tests.ui.conftest import browser, open_experiments, open_panel, page, screenshot, show_panel  # noqa: F401
from tests.ui.test_panel import OVERFLOWING, own_warnings, sidebar_width

pytestmark = [pytest.mark.ui, pytest.mark.world]

# What the focused element looks like: is it the focus-visible element, does it draw a ring (outline or box
# shadow, its own or its row's), and is it inside the visible part of every scrolling box around it.
FOCUS_STATE = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const panel = e.closest('.jp-StudioCollab-panel, #studio-collab-experiments');
  const ring = el => { const s = getComputedStyle(el);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || (s.boxShadow && s.boxShadow !== 'none'); };
  const r = e.getBoundingClientRect();
  const inside = b => r.bottom > b.top + 1 && r.top < b.bottom - 1 && r.right > b.left + 1 && r.left < b.right - 1;
  let shown = inside({ top: 0, left: 0, bottom: innerHeight, right: innerWidth });
  for (let box = e.parentElement; box; box = box.parentElement) {
    const s = getComputedStyle(box);  // every box that scrolls must show it
    if (/(auto|scroll)/.test(s.overflowY + s.overflowX) && box.scrollHeight > box.clientHeight && box.clientHeight > 0
        && !inside(box.getBoundingClientRect())) shown = false;
  }
  const row = e.closest('li, tr, .jp-AccordionPanel-title');
  // A toolkit button (jp-button) focuses the control inside its shadow root and draws the ring there.
  const inner = e.shadowRoot && e.shadowRoot.activeElement ? e.shadowRoot.activeElement : e;
  return { inPanel: !!panel, key: e.getAttribute('data-walk-key'), tag: e.tagName,
           label: e.getAttribute('aria-label') || e.getAttribute('title') || e.textContent.trim().slice(0, 40),
           focusVisible: e.matches(':focus-visible') || inner.matches(':focus-visible'),
           ring: ring(e) || ring(inner) || (row ? ring(row) : false), shown };
}"""

# Every row action of the panel (the buttons and links of list rows and table rows), each given a key.
ROW_ACTIONS = """root => [...root.querySelectorAll('li button, li a[href], tr button, tr input')].filter(e =>
  !e.disabled && e.getClientRects().length > 0).map((e, i) => { e.setAttribute('data-walk-key', String(i));
  return (e.getAttribute('aria-label') || e.getAttribute('title') || e.textContent).trim().slice(0, 40); })"""


@pytest.fixture
def world_lab(world_env, mlflow_world, tmp_path):
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "StudioCollabApp": {
                    "repositories": [
                        {
                            "url": world_env.repo_url("team-notebooks"),
                            "name": "team-notebooks",
                            "description": "Notebooks the whole team shares",
                        },
                        {"url": world_env.repo_url("churn-model"), "name": "churn-model"},
                    ],
                    "git_fetch_interval_seconds": 0,
                    "share_folder": str(tmp_path / "share-store"),
                }
            }
        )
    )
    root = tmp_path / "root"
    root.mkdir()
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell("print('hello')")]
    (root / "analysis.ipynb").write_text(nbformat.writes(book))
    server = start_lab(root, env={"JUPYTER_CONFIG_DIR": str(config_dir)})
    yield server
    server.stop()


def api(server, method: str, path: str, body: dict | None = None) -> dict:
    response = requests.request(method, server.api(path), headers=server.headers, json=body, timeout=30)
    assert response.ok, response.text
    return response.json()


def wait_job(server, job: dict) -> dict:
    deadline = time.monotonic() + 90
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = api(server, "GET", f"jobs/{job['id']}")["job"]
    return job


def walk(tab, limit: int = 120) -> list[dict]:
    """Tab through the page from the focused element until focus leaves the panel; each stop's state."""
    stops = []
    for _ in range(limit):
        tab.keyboard.press("Tab")
        state = tab.evaluate(FOCUS_STATE)
        if not state or not state["inPanel"]:
            break
        stops.append(state)
    return stops


def test_keyboard_walk_overflow_and_no_console_noise_on_every_page(page, world_lab, world_env):  # noqa: F811
    cloned = wait_job(
        world_lab, api(world_lab, "POST", f"repos/{api(world_lab, 'GET', 'repos')['repos'][0]['id']}/clone")["job"]
    )
    assert cloned["state"] == "succeeded", cloned
    created = api(world_lab, "POST", "shares", {"path": "analysis.ipynb", "target_space": "team-space"})
    share_id = (wait_job(world_lab, created["job"])["result"] if "job" in created else created)["share"]["id"]

    open_panel(page, world_lab)
    panel = page.locator(".jp-StudioCollab-panel")
    panel.locator(".jp-StudioCollab-repo").nth(1).wait_for(timeout=30_000)
    panel.locator(".jp-StudioCollab-share").first.wait_for(timeout=30_000)
    panel.get_by_role("button", name="Open Experiments", exact=True).wait_for(timeout=30_000)
    panel.locator(".jp-StudioCollab-burnRate").wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # charts settle their width

    # No horizontal overflow with real data, at the default width and at 230 px.
    assert panel.evaluate(OVERFLOWING) == []

    # The keyboard walk: from the panel's first section header, Tab alone reaches every row action of every
    # section; each stop shows its focus and is in view.
    actions = panel.evaluate(ROW_ACTIONS)
    assert len(actions) >= 4, actions
    panel.locator(".jp-AccordionPanel-title").first.focus()
    stops = walk(page)
    reached = {s["key"] for s in stops if s["key"] is not None}
    missing = [label for i, label in enumerate(actions) if str(i) not in reached]
    assert missing == [], missing
    unseen = [s for s in stops if not s["focusVisible"] or not s["ring"] or not s["shown"]]
    assert unseen == [], json.dumps(unseen)[:4000]

    # Arrow keys: ↓ moves from one repo row's action to the same action of the next row, ↑ back.
    first_action = panel.locator(".jp-StudioCollab-repo").nth(0).locator("button").first
    first_action.focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate(
        "() => document.activeElement.closest('.jp-StudioCollab-repo') === "
        "document.querySelectorAll('.jp-StudioCollab-repo')[1]"
    )
    page.keyboard.press("ArrowUp")
    assert page.evaluate(
        "() => document.activeElement.closest('.jp-StudioCollab-repo') === "
        "document.querySelectorAll('.jp-StudioCollab-repo')[0]"
    )

    sidebar_width(page, 230)
    page.wait_for_timeout(500)
    assert panel.evaluate(OVERFLOWING) == []
    screenshot(page, "panel-world-230px.png")

    # The Experiments tab: Tab reaches the runs; ↓ walks the runs table row by row, each row in view.
    body = open_experiments(page)
    body.locator("tbody tr[data-run-id]").first.wait_for(timeout=30_000)
    rows = body.locator("tbody tr[data-run-id]")
    rows.first.locator("input[type=checkbox]").focus()
    for index in range(1, min(rows.count(), 6)):
        page.keyboard.press("ArrowDown")
        state = page.evaluate(FOCUS_STATE)
        assert state["shown"], state
        assert page.evaluate("() => document.activeElement.closest('tr').getAttribute('data-run-id')") == rows.nth(
            index
        ).get_attribute("data-run-id")
    # The chart across runs is drawn when asked for (not on opening: JupyterLab's Vega renderer would load
    # then), with run names on its axis, not indices.
    chart = body.locator(".jp-StudioCollab-chart")
    assert chart.locator(".jp-StudioCollab-metricChart").count() == 0
    chart.get_by_role("button", name="Show chart").click()
    chart.locator(".jp-StudioCollab-metricChart svg text").first.wait_for(timeout=60_000)
    labels = chart.locator(".jp-StudioCollab-metricChart svg").evaluate(
        "svg => [...svg.querySelectorAll('text')].map(t => t.textContent.trim())"
    )
    names = body.locator("tbody tr[data-run-id] .jp-StudioCollab-runName").all_inner_texts()
    # a long name is cut on the axis ("…"): what the axis shows must begin the run's name
    shown = [label.removesuffix("…") for label in labels if label]
    assert sum(any(label and name.startswith(label) for label in shown) for name in names) >= 2, (names, labels)
    chart.get_by_role("button", name="Hide chart").click()
    chart.locator(".jp-StudioCollab-metricChart").wait_for(state="detached")
    assert page.console_errors == [] and own_warnings(page) == []

    # The open page and the import (in the lab, and the no-JavaScript fallback): no noise either.
    repo_id = api(world_lab, "GET", "repos")["repos"][0]["id"]
    page.goto(f"{world_lab.url}studio-collab/open?repo={repo_id}&token={world_lab.token}")
    page.get_by_role("button", name="Sync and open").wait_for(timeout=30_000)
    page.goto(f"{world_lab.url}studio-collab/import?share={share_id}&token={world_lab.token}")
    page.locator("body").wait_for()
    page.wait_for_timeout(500)
    page.goto(f"{world_lab.url}lab?studio-collab-import={share_id}&token={world_lab.token}")
    page.locator(".jp-Dialog").wait_for(timeout=60_000)
    page.locator(".jp-Dialog").get_by_role("button", name="Not now").click()
    show_panel(page)
    page.wait_for_timeout(500)
    assert page.console_errors == [] and own_warnings(page) == []
