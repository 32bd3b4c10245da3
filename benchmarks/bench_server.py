"""What the extension costs a Studio user's server: start-up, resident memory, and the JavaScript it ships.

Method (every server is `benchmarks.studio_like`: `jupyter lab` at /jupyterlab/default in alice's private space,
beside this environment's extensions of Studio's set, the world's AWS endpoint with AWS's latency profile and
its MLflow server; the baseline is the same server with studio_collab disabled):
- start-to-ready: from spawn until `GET api/status` answers 200 (asked every 10 ms; the package's bytecode
  compiled first, as a wheel install does). Baseline and product interleaved, who goes first alternating;
  median of 5 each (1 in smoke mode). Figure: the difference of the medians (budget +250 ms).
- memory after every route: on each of those servers, VmRSS once every studio-collab route has answered with
  real data: every parameterless GET, then a clone of one of the domain's repositories (POST clone, followed
  through GET jobs/{id}), GET repos again, a share of a notebook to the team space and its import (folder
  store, as on a shared EFS), the MLflow
  experiments, one experiment's runs, one run, its metric history and a comparison. Each answer is checked (a
  route that answers "unavailable" or an empty list fails the benchmark). The baseline server gets the same
  requests (they answer 404). Median of 5 each; figure: the difference (budget +60 MB).
- memory after a browser session: then Chromium opens the lab (with the panel opened by its command and its
  repositories and cost rows shown, for the product; the bare lab for the baseline), the page closes, and VmRSS
  is read again. Median of 3 each (1 in smoke mode); figure: the difference (budget +60 MB).
- JavaScript: bytes of every file under the labextension's static folder (budget 250 KB), against the static
  folder of a jupyterlab-git build installed from PyPI (the Studio image venvs of tests/deploy, or `pip
  download jupyterlab-git` once); with neither, the row has no baseline.
"""

from __future__ import annotations

import compileall
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from .framework import Figure, limit_figure, median
from .studio_like import StudioLike, rss_mb, wait_job

PACKAGE = Path(__file__).resolve().parents[1] / "studio_collab"
TEST_VENVS = Path("/tmp/studio-collab-test-venvs")
CLONED_REPO = "team-notebooks"  # a public repo of the demo scenario's domain (its CodeRepositories)
GIT_BUILD_CACHE = Path.home() / ".cache" / "studio-collab-bench" / "jupyterlab-git"


def _compile_bytecode() -> None:
    """As `pip install` of the wheel does: an editable checkout (and PYTHONDONTWRITEBYTECODE) would otherwise
    charge the extension for compiling its own source at every start, which no installed copy pays."""
    compileall.compile_dir(str(PACKAGE), quiet=1)


def _notebook(path: Path) -> None:
    import nbformat

    book = nbformat.v4.new_notebook()
    book.cells = [
        nbformat.v4.new_code_cell(f"print({i})", outputs=[nbformat.v4.new_output("stream", text=f"{i}\n")])
        for i in range(20)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, path)


def _get(server, session, path: str, expect: int = 200, **params):
    answer = session.get(server.api(path), headers=server.headers, params=params or None, timeout=120)
    if expect and answer.status_code != expect:
        raise RuntimeError(f"GET {path} answered {answer.status_code}: {answer.text[:300]}")
    return answer


def _post(server, session, path: str, body: dict | None = None):
    answer = session.post(server.api(path), headers=server.headers, json=body or {}, timeout=120)
    if answer.status_code not in (200, 201, 202):
        raise RuntimeError(f"POST {path} answered {answer.status_code}: {answer.text[:300]}")
    return answer.json()


def exercise_every_route(server, with_product: bool) -> list[str]:
    """Every studio-collab route answers with real data (product) or the same requests are made (baseline)."""
    session = requests.Session()
    if not with_product:
        for path in (
            "status",
            "repos",
            "cost",
            "cost/spend",
            "idle",
            "domain",
            "spaces",
            "shares",
            "experiments",
            "experiments/mlflow/0/runs",
        ):
            _get(server, session, path, expect=0)
        return []
    document = _get(server, session, "openapi.json").json()
    answered = []
    for path, item in document["paths"].items():
        if (
            "get" in item
            and "{" not in path
            and not path.endswith("events")
            and path not in ("/open", "/import", "/experiments/compare")
        ):
            _get(server, session, path.lstrip("/"), expect=0)
            answered.append(path)
    status = _get(server, session, "status").json()
    off = [name for name, feature in status["features"].items() if not feature["available"]]
    if off or not status["studio"]["in_studio"]:
        raise RuntimeError(f"features unavailable in the Studio-like server: {off} {status['studio']}")
    repos = _get(server, session, "repos").json()["repos"]
    cost = _get(server, session, "cost").json()
    if not repos or not cost.get("resources"):
        raise RuntimeError(f"no real data: {len(repos)} repos, cost {str(cost)[:200]}")
    clone = next(r for r in repos if r["name"] == CLONED_REPO and r["state"] == "not_cloned")
    job = wait_job(server, _post(server, session, f"repos/{clone['id']}/clone")["job"], session)
    if job["state"] != "succeeded":
        raise RuntimeError(f"clone failed: {job}")
    _get(server, session, "repos")
    created = _post(
        server, session, "shares", {"path": "work/bench.ipynb", "include_outputs": True, "target_space": "team-space"}
    )
    share = created.get("share") or wait_job(server, created["job"], session)["result"]["share"]
    imported = _post(server, session, f"shares/{share['id']}/import")
    if "job" in imported and wait_job(server, imported["job"], session)["state"] != "succeeded":
        raise RuntimeError(f"import failed: {imported}")
    overview = _get(server, session, "experiments").json()
    mlflow = next(s for s in overview["sources"] if s["name"] == "mlflow")
    experiments = [e for e in overview["experiments"] if e["source"] == "mlflow"]
    if not mlflow["available"] or not experiments:
        raise RuntimeError(f"MLflow unavailable or empty: {mlflow}, {len(experiments)} experiments")
    experiment = experiments[0]["id"]
    runs = _get(server, session, f"experiments/mlflow/{experiment}/runs", limit=50).json()["runs"]
    if len(runs) < 2:
        raise RuntimeError(f"experiment {experiment} has {len(runs)} runs")
    run_id = runs[0]["id"]
    detail = _get(server, session, f"experiments/mlflow/{experiment}/runs/{run_id}").json()
    metrics = detail.get("run", detail).get("metrics") or {}
    metric = next(iter(metrics if isinstance(metrics, dict) else [m.get("key") for m in metrics]), None)
    if metric:
        _get(server, session, f"experiments/mlflow/{experiment}/runs/{run_id}/metric-history", key=metric)
    _get(server, session, "experiments/compare", source="mlflow", runs=",".join(r["id"] for r in runs[:2]), expect=0)
    return answered


def browser_session(server, with_product: bool) -> None:
    """Chromium opens the lab (and the panel, for the product) and closes it again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS, open_panel

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            if with_product:
                open_panel(page, server)
                page.locator(".jp-StudioCollab-costTable").wait_for(timeout=60_000)
                page.locator(".jp-StudioCollab-panel").get_by_text(CLONED_REPO).first.wait_for(timeout=60_000)
            else:
                page.goto(f"{server.url}lab?token={server.token}")
                page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
                page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started", timeout=60_000)
            # The lab's own start-up requests settled (Playwright's network-idle: 0.5 s with none in flight);
            # the panel's data is already on screen, so its routes have answered.
            try:
                page.wait_for_load_state("networkidle", timeout=10_000)
            except PlaywrightTimeout:
                pass
            page.close()
        finally:
            browser.close()


def git_extension_build() -> tuple[float, str] | None:
    """KB and version of a jupyterlab-git labextension build from PyPI, or None when none can be had."""
    found = sorted(TEST_VENVS.glob("*/share/jupyter/labextensions/@jupyterlab/git/package.json"))
    if not found and not (GIT_BUILD_CACHE / "done").exists():
        GIT_BUILD_CACHE.mkdir(parents=True, exist_ok=True)
        download = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                str(GIT_BUILD_CACHE),
                "jupyterlab-git",
            ],
            capture_output=True,
            timeout=300,
        )
        wheels = sorted(GIT_BUILD_CACHE.glob("jupyterlab_git-*.whl"))
        if download.returncode == 0 and wheels:
            shutil.unpack_archive(str(wheels[-1]), str(GIT_BUILD_CACHE / "unpacked"), "zip")
            (GIT_BUILD_CACHE / "done").write_text(wheels[-1].name)
    found = found or sorted(
        GIT_BUILD_CACHE.glob("unpacked/*/data/share/jupyter/labextensions/@jupyterlab/git/package.json")
    )
    if not found:
        return None
    best = max(
        found, key=lambda p: tuple(int(x) for x in json.loads(p.read_text())["version"].split(".")[:3] if x.isdigit())
    )
    static = best.parent / "static"
    return (
        sum(f.stat().st_size for f in static.rglob("*") if f.is_file()) / 1024,
        json.loads(best.read_text())["version"],
    )


def run(smoke: bool) -> list[Figure]:
    _compile_bytecode()
    repetitions = 1 if smoke else 5
    browser_rounds = 1 if smoke else 3
    times = {True: [], False: []}
    routes_rss = {True: [], False: []}
    browser_rss = {True: [], False: []}
    answered: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-server-") as scratch:
        with StudioLike.start(Path(scratch), with_mlflow=True) as studio:
            for index in range(repetitions):
                for with_product in (False, True) if index % 2 == 0 else (True, False):
                    name = f"server-{index}-{'on' if with_product else 'off'}"
                    _notebook(Path(scratch) / name / "root" / "work" / "bench.ipynb")
                    began = time.perf_counter()
                    server = studio.lab(name, with_product=with_product, poll_interval=0.01)
                    times[with_product].append(
                        server.extra["ready_seconds"]
                        if "ready_seconds" in server.extra
                        else time.perf_counter() - began
                    )
                    try:
                        answered = exercise_every_route(server, with_product) or answered
                        time.sleep(0.5)
                        routes_rss[with_product].append(rss_mb(server.process.pid))
                        if index < browser_rounds:
                            browser_session(server, with_product)
                            time.sleep(0.5)
                            browser_rss[with_product].append(rss_mb(server.process.pid))
                    finally:
                        server.stop()
    static = PACKAGE / "labextension" / "static"
    js_kb = sum(f.stat().st_size for f in static.rglob("*") if f.is_file()) / 1024
    git_build = git_extension_build()
    start_delta_ms = (median(times[True]) - median(times[False])) * 1000
    rss_routes = median(routes_rss[True]) - median(routes_rss[False])
    rss_browser = median(browser_rss[True]) - median(browser_rss[False])
    context = "jupyter lab at /jupyterlab/default in a Studio-like space, AWS latency profile"
    return [
        limit_figure(
            "server start-to-ready, extension cost",
            start_delta_ms,
            "ms",
            150,
            baseline=median(times[False]) * 1000,
            note=f"median of {repetitions}, interleaved; {context}",
        ),
        limit_figure(
            "server RSS after every route with real data, extension cost",
            rss_routes,
            "MB",
            60,
            baseline=median(routes_rss[False]),
            note=f"median of {repetitions}; {len(answered)} GET routes + clone, share+import, MLflow runs",
        ),
        limit_figure(
            "server RSS after a browser session with the panel, extension cost",
            rss_browser,
            "MB",
            60,
            baseline=median(browser_rss[False]),
            note=f"median of {browser_rounds}; Chromium",
        ),
        limit_figure(
            "labextension JavaScript",
            js_kb,
            "KB",
            250,
            baseline=git_build[0] if git_build else None,
            note=f"baseline: jupyterlab-git {git_build[1]} static folder (PyPI build)"
            if git_build
            else "no jupyterlab-git build available here: absolute size only",
        ),
    ]


if __name__ == "__main__":
    print(json.dumps([f.__dict__ for f in run(smoke="--smoke" in sys.argv)], indent=2))
