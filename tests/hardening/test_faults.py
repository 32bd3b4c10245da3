"""Faults (issue #10): what breaks around the extension, and what the extension does about it.

- the world's git server cut mid-clone and mid-sync;
- AWS throttling, AccessDenied and 500s on every operation the product calls (the list comes from
  FEATURE_ACTIONS and is checked against what the routes really call), each through every route that calls it;
- the S3 share store failing at each of its calls while a share is made and while one is imported;
- the MLflow server killed;
- the Jupyter server SIGKILLed mid-clone and started again on the same folder.

Each case asserts: a clear error with a stable code (or a 200 that names the problem, or is as complete as
the answer without the fault), no generic ``internal_error``, no traceback in the server log, no data lost,
nothing half-written, the rest of the API still answering, and the same call working once the fault is gone.
Everything is real: the local Studio world's emulator, git server and MLflow; no mocks.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from tornado.httpclient import HTTPClientError

from studio_collab.deploy.iam import FEATURE_ACTIONS, iam_actions
from tests import helpers
from tests.helpers import until
from tests.servers import start_lab
from tests.share.conftest import make_notebook
from tests.world import WorldHandle

pytestmark = pytest.mark.world

KINDS = ("throttle", "access_denied", "error500")
AWS_CODE = {"throttle": "aws_throttled", "access_denied": "aws_access_denied", "error500": "aws_error"}
# An answer to HEAD has no body, so its error carries only the HTTP status: no AWS error code to translate.
HEAD_OPERATIONS = {"s3:HeadObject", "s3:HeadBucket"}
TEMP_MARK = ".studio-collab-clone-"


def config(options: dict | Callable[[Any], dict]):
    """This test's StudioCollabApp options (a dict, or a function of the pytest request)."""

    def mark(function):
        function.faults_config = options
        return function

    return mark


@pytest.fixture
def studio_collab_config(request) -> dict:
    options = getattr(request.function, "faults_config", {})
    options = options(request) if callable(options) else options
    return {
        "git_fetch_interval_seconds": 0,
        "git_timeout_seconds": 120,
        "cache_ttl_seconds": 0,
        "experiments_cache_ttl_seconds": 0,
        "cost_cache_ttl_seconds": 0,
        **options,
    }


# --- helpers for the in-process server (jp_fetch) --------------------------------------------------------------
async def call(jp_fetch, method: str, *path: str, body: dict | None = None, params: dict | None = None):
    """(status, JSON answer) of one request; errors are answers too."""
    try:
        response = await jp_fetch(
            "studio-collab",
            *path,
            method=method,
            params=params or {},
            body=json.dumps(body if body is not None else {}) if method in ("POST", "PUT") else None,
        )
    except HTTPClientError as err:
        assert err.response is not None, err
        return err.code, json.loads(err.response.body or b"{}")
    return response.code, json.loads(response.body or b"{}")


async def wait_job(jp_fetch, job_id: str) -> dict:
    return await helpers.wait_job(jp_fetch, job_id, timeout=120)  # faults slow some jobs down


async def rest_still_works(jp_fetch) -> None:
    """The panel's other sections keep answering: status, the repo list and cost."""
    for path in (("status",), ("repos",), ("cost",)):
        status, body = await call(jp_fetch, "GET", *path)
        assert status == 200, (path, body)


def no_traceback(caplog) -> None:
    records = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not records, [r.getMessage() for r in records][:3]
    assert "Traceback" not in caplog.text and "internal_error" not in caplog.text


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if TEMP_MARK in p.name) if folder.exists() else []


def assert_clear_error(status: int, body: dict, codes: set[str]) -> None:
    assert 400 <= status < 600, (status, body)
    assert set(body) == {"code", "message"}, body
    assert body["code"] in codes, (body, codes)
    assert body["message"] and "Traceback" not in body["message"]


def make_data_repo(world, name: str, files: int, size: int = 12_000) -> str:
    """A repo of incompressible text (files x size bytes), made once per session."""
    if not world.repos.bare_path(name).exists():
        rng = random.Random(name)
        world.repos.create(name, template="library", commits=1)
        world.repos.commit(
            name,
            {f"data/part-{i:03d}.txt": base64.b64encode(rng.randbytes(size)).decode() for i in range(files)},
            "Add data",
        )
    return world.repo_url(name)


def repo_named(answer: dict, url: str) -> dict:
    return next(r for r in answer["repos"] if r["url"] == url)


# =============================================================================================================
# 1. The git server killed mid-clone and mid-sync
# =============================================================================================================
@pytest.fixture
def small_repo(world):
    return make_data_repo(world, "faults-small", files=8, size=3_000)


@pytest.fixture
def big_repo(world):
    return make_data_repo(world, "faults-big", files=250)


@pytest.mark.parametrize("which,cut", [("small_repo", 400), ("big_repo", 300_000)], ids=["early", "mid-pack"])
@config(
    lambda request: {
        "repositories": [
            {"url": request.getfixturevalue(request.node.callspec.params["which"]), "target": "work/cloned"}
        ]
    }
)
async def test_git_server_cut_mid_clone(world_env, which, cut, request, jp_fetch, jp_root_dir, caplog):
    url = request.getfixturevalue(which)
    _, listing = await call(jp_fetch, "GET", "repos")
    repo = repo_named(listing, url)
    (jp_root_dir / "work").mkdir()
    (jp_root_dir / "work" / "mine.txt").write_text("my own file")
    world_env.git_faults(cut_after_bytes=cut, count=1)
    status, body = await call(jp_fetch, "POST", "repos", repo["id"], "clone")
    assert status == 202, body
    job = await wait_job(jp_fetch, body["job"]["id"])
    assert job["state"] == "failed" and job["error"]["code"] == "git_network", job
    assert "Traceback" not in job["error"]["message"]
    # nothing half-written: no target, no hidden temporary folder; the neighbour is untouched
    assert sorted(p.name for p in (jp_root_dir / "work").iterdir()) == ["mine.txt"]
    assert (jp_root_dir / "work" / "mine.txt").read_text() == "my own file"
    _, listing = await call(jp_fetch, "GET", "repos")
    row = repo_named(listing, url)
    assert row["state"] == "error" and row["error"]["code"] == "git_network", row
    await rest_still_works(jp_fetch)
    world_env.git_faults()  # the server is back
    status, body = await call(jp_fetch, "POST", "repos", repo["id"], "clone")
    job = await wait_job(jp_fetch, body["job"]["id"])
    assert job["state"] == "succeeded", job
    assert (jp_root_dir / "work" / "cloned" / ".git").is_dir() and leftovers(jp_root_dir) == []
    no_traceback(caplog)


@pytest.fixture
def sync_repo(world) -> str:
    world.repos.create("faults-sync", template="notebooks", commits=2)  # fresh: this test pushes to it
    return world.repo_url("faults-sync")


def git_out(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


@config(lambda request: {"repositories": [{"url": request.getfixturevalue("sync_repo")}]})
async def test_git_server_cut_mid_sync_keeps_every_local_edit(world_env, sync_repo, jp_fetch, jp_root_dir, caplog):
    _, listing = await call(jp_fetch, "GET", "repos")
    repo = repo_named(listing, sync_repo)
    _, body = await call(jp_fetch, "POST", "repos", repo["id"], "clone")
    assert (await wait_job(jp_fetch, body["job"]["id"]))["state"] == "succeeded"
    clone = jp_root_dir / repo["target"]
    tracked = sorted(git_out(clone, "ls-files").split())[0]
    edited = (clone / tracked).read_text() + "\nmy local edit\n"
    (clone / tracked).write_text(edited)
    (clone / "my-notes.txt").write_text("not committed anywhere")
    head = git_out(clone, "rev-parse", "HEAD")
    before = git_out(clone, "status", "--porcelain")
    rng = random.Random(7)
    world_env.repos.commit(
        "faults-sync",
        {"upstream/new.txt": "from upstream\n", "upstream/data.txt": base64.b64encode(rng.randbytes(200_000)).decode()},
        "Upstream change",
    )
    world_env.git_faults(cut_after_bytes=3_000, count=1)
    _, body = await call(jp_fetch, "POST", "repos", repo["id"], "sync")
    job = await wait_job(jp_fetch, body["job"]["id"])
    assert job["state"] == "failed" and job["error"]["code"] == "git_network", job
    # no data lost, nothing half-merged: the worktree is exactly as the user left it
    assert (clone / tracked).read_text() == edited
    assert (clone / "my-notes.txt").read_text() == "not committed anywhere"
    assert git_out(clone, "rev-parse", "HEAD") == head and git_out(clone, "status", "--porcelain") == before
    assert not (clone / ".git" / "index.lock").exists() and not (clone / "upstream").exists()
    assert leftovers(jp_root_dir) == []
    _, listing = await call(jp_fetch, "GET", "repos")
    row = repo_named(listing, sync_repo)
    assert row["state"] == "cloned" and row["error"]["code"] == "git_network", row
    await rest_still_works(jp_fetch)
    world_env.git_faults()
    _, body = await call(jp_fetch, "POST", "repos", repo["id"], "sync")
    job = await wait_job(jp_fetch, body["job"]["id"])
    assert job["state"] == "succeeded", job
    assert (clone / "upstream" / "new.txt").read_text() == "from upstream\n"
    assert (clone / tracked).read_text() == edited and (clone / "my-notes.txt").exists()
    no_traceback(caplog)


# =============================================================================================================
# 2. AWS throttling, AccessDenied and 500s on every operation the product calls
# =============================================================================================================
# IAM actions that authorize several API operations: each operation gets its fault (S3 names its API by verb).
API_OPERATIONS = {
    "s3:ListBucket": ("s3:ListObjectsV2", "s3:HeadBucket"),
    "s3:GetObject": ("s3:GetObject", "s3:HeadObject"),
}
# Not emulator operations: MLflow's REST API (MLflow's own faults are case 4), and MLflow Apps the world lacks.
NOT_EMULATED = {"sagemaker:CreatePresignedMlflowAppUrl"}
# Called only when an operation of the table is denied: their fault is tested under that denial.
FALLBACKS = {"sagemaker:ListEndpoints": "sagemaker:Search", "sagemaker:DescribeEndpoint": "sagemaker:Search"}
# Operations whose good answer the product keeps (a Studio secret for 5 minutes, billed spend for 6 hours, the
# share store check for a minute, endpoint configs for good) or calls only at start (the Price List): their faults
# are injected into a fresh server, in TestFaultsFromAFreshServer.
FRESH_SERVER = {
    "secretsmanager:GetSecretValue",
    "ce:GetCostAndUsage",
    "s3:HeadBucket",
    "pricing:GetProducts",
    "sagemaker:DescribeEndpointConfig",
}


def product_operations() -> list[str]:
    operations = set(FALLBACKS)
    for actions in FEATURE_ACTIONS.values():
        for action in actions:
            if action.startswith("sagemaker-mlflow:") or action in NOT_EMULATED:
                continue
            operations.update(API_OPERATIONS.get(action, (action,)))
    return sorted(operations)


OPERATIONS = product_operations()
SHARED_CASES = [(op, kind) for op in OPERATIONS if op not in FRESH_SERVER for kind in KINDS]


def facts(value, path: str = "") -> set[str]:
    """What an answer tells: the paths of its leaves that are neither null nor empty (list items merged, so a
    list that grows or shrinks tells the same; one that empties, or a field null in every item, tells less)."""
    if isinstance(value, dict):
        return set().union(*(facts(v, f"{path}.{k}") for k, v in value.items()))
    if isinstance(value, list):
        return set().union(*(facts(v, f"{path}[]") for v in value))
    return set() if value in (None, "") else {path}


def names_the_problem(text: str, operation: str, kind: str) -> bool:
    words = {operation, *iam_actions({operation}), AWS_CODE[kind]}
    if operation in HEAD_OPERATIONS:
        words.add("aws_error")
    return any(word in text for word in words)


def error_code(status: int, text: str, html: bool) -> str | None:
    if status < 400:
        return None
    if html:  # the import page carries its error in the page's data
        match = re.search(r'"code":\s*"([a-z0-9_]+)"', text)
        return match.group(1) if match else None
    return json.loads(text).get("code")


def check_fault_answer(
    route: str, operation: str, kind: str, status: int, text: str, html: bool, recovered: str | None
) -> None:
    """A stable error code for this fault, or a 200 that names the problem or lost nothing."""
    assert "Traceback" not in text and "internal_error" not in text, (route, text[:500])
    if status >= 400:
        assert status < 600, (route, status)
        code = error_code(status, text, html)
        expected = {AWS_CODE[kind], "aws_error"} if operation in HEAD_OPERATIONS else {AWS_CODE[kind]}
        assert code in expected, f"{route} under {kind} on {operation}: {status} {text[:400]}"
        return
    if names_the_problem(text, operation, kind):
        return
    lost = facts(json.loads(recovered)) - facts(json.loads(text)) if recovered is not None else {"(a page)"}
    assert not lost, (
        f"{route} under {kind} on {operation} answers 200 without {sorted(lost)[:8]}, and does not "
        f"say why: {text[:600]}"
    )


@dataclass
class Route:
    name: str
    method: str
    path: Any  # str, or a function of the prepared value
    body: Any = None
    params: Any = None
    prepare: Callable[[], Any] | None = None  # e.g. a fresh share to import or revoke
    mutates: bool = False  # succeeds only once per world: the world is reseeded after a success
    html: bool = False
    ok: tuple[int, ...] = (200,)


@dataclass
class SharedServer:
    """One live server on the world for every AWS fault case: options make it ask AWS on every request."""

    local: Any
    world: WorldHandle
    base: Path
    server: Any = None
    routes: dict[str, Route] = field(default_factory=dict)
    called: dict[str, set[str]] = field(default_factory=dict)  # route → emulator operations it calls

    def start(self) -> None:
        self.reset_world()
        metadata = self.world.write_resource_metadata(self.base / "resource-metadata.json", "alice-space")
        config_dir = self.base / "jupyter-config"
        config_dir.mkdir()
        (config_dir / "jupyter_server_config.json").write_text(
            json.dumps(
                {
                    "StudioCollabApp": {
                        "share_store": "s3",
                        "share_s3_bucket": self.world.scenario.section("s3_buckets")[0],
                        "share_s3_prefix": "faults/",
                        "aws_max_attempts": 1,
                        "aws_connect_timeout": 2.0,
                        "aws_read_timeout": 5.0,
                        "cache_ttl_seconds": 0,
                        "experiments_cache_ttl_seconds": 0,
                        "cost_cache_ttl_seconds": 0,
                        "git_fetch_interval_seconds": 0,
                        "price_cache_path": str(self.base / "prices.json"),
                        "cost_stop_kinds": ["app", "notebook_instance", "mlflow_tracking_server"],
                    }
                }
            )
        )
        env = {
            "AWS_ENDPOINT_URL": self.world.emulator_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": self.world.region,
            "AWS_DEFAULT_REGION": self.world.region,
            "AWS_CONFIG_FILE": str(self.base / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.base / "no-aws-credentials"),
            **self.world.local.git_env(),  # the world's CA; the catalog's port-less URLs reachable
            "STUDIO_COLLAB_RESOURCE_METADATA": str(metadata),
            "SAGEMAKER_SPACE_TYPE_LOWERCASE": "private",
            "JUPYTER_CONFIG_DIR": str(config_dir),
            "SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT": self.local.mlflow_server.url,
        }
        self.server = start_lab(self.base / "root", command="server", env=env)
        self.session = requests.Session()
        self.session.headers.update(self.server.headers)
        make_notebook(self.server.root_dir / "notebook.ipynb", output_bytes=300)
        self._define_routes()
        self._settle()  # the start-up work (the store's cleanup, once an hour, among it) is over
        self._discover()

    def reset_world(self) -> None:
        self.local.reseed()
        self.local.start_mlflow()
        self.local.point_tracking_servers()
        self.world.start_batch_work("faults")  # cost describes only what runs
        self.world.tag_created_by("legacy-analysis", "alice")  # whose the "stop notebook instance" route stops

    def _settle(self) -> None:
        """Wait until background work (start-up, share cleanup) no longer calls AWS."""
        last, deadline = None, time.monotonic() + 10
        while time.monotonic() < deadline:
            now = self.world.calls()
            if now == last:
                return
            last = now
            time.sleep(0.4)

    def request(self, method: str, path: str, body=None, params=None) -> tuple[int, str]:
        response = self.session.request(
            method,
            self.server.api(path),
            params=params,
            timeout=60,
            data=json.dumps(body) if body is not None else None,
        )
        return response.status_code, response.text

    def prepare(self, route: Route) -> Any:
        return route.prepare() if route.prepare else None

    def run(self, route: Route, value: Any = None) -> tuple[int, str]:
        """Call the route; with ``value`` from :meth:`prepare` made beforehand, or prepared now."""
        value = self.prepare(route) if value is None else value
        resolve = lambda x: x(value) if callable(x) else x  # noqa: E731
        return self.request(route.method, resolve(route.path), resolve(route.body), resolve(route.params))

    def new_share(self) -> str:
        status, text = self.request("POST", "shares", {"path": "notebook.ipynb", "target_space": "team-space"})
        assert status == 201, text
        return json.loads(text)["share"]["id"]

    def _define_routes(self) -> None:
        def add(name, method, path, **more):
            self.routes[name] = Route(name, method, path, **more)

        add("status", "GET", "status")
        add("repos", "GET", "repos")
        add("spaces", "GET", "spaces")
        add("share", "POST", "shares", body={"path": "notebook.ipynb", "target_space": "team-space"}, ok=(201,))
        add("my shares", "GET", "shares", prepare=self.new_share)
        add("import page", "GET", "import", params=lambda s: {"share": s}, prepare=self.new_share, html=True)
        add("import", "POST", lambda s: f"shares/{s}/import", body={}, prepare=self.new_share)
        add("revoke", "DELETE", lambda s: f"shares/{s}", prepare=self.new_share)
        add("experiments", "GET", "experiments")
        status, text = self.request("GET", "experiments")
        overview = json.loads(text)
        assert all(s["available"] for s in overview["sources"]), overview["sources"]
        for source in ("mlflow", "training-jobs", "legacy"):
            experiment = next(
                e
                for e in overview["experiments"]
                if e["source"] == source and (source != "mlflow" or e["name"] == "churn-prediction")
            )
            base = f"experiments/{source}/{experiment['id']}/runs"
            runs = json.loads(self.request("GET", base)[1])["runs"]
            assert len(runs) >= 2, (source, runs)
            add(f"runs of {source}", "GET", base)
            add(f"run of {source}", "GET", f"{base}/{runs[0]['id']}")
            add(
                f"compare {source}",
                "GET",
                "experiments/compare",
                params={"source": source, "runs": f"{runs[0]['id']},{runs[1]['id']}"},
            )
            if runs[0].get("metrics") and source == "mlflow":
                add(
                    f"metric history of {source}",
                    "GET",
                    f"{base}/{runs[0]['id']}/metric-history",
                    params={"key": next(iter(runs[0]["metrics"]))},
                )
        add("mlflow ui", "POST", "experiments/mlflow-ui", body={})
        add("cost", "GET", "cost")
        add("my cost", "GET", "cost", params={"scope": "mine"})
        add("spend", "GET", "cost/spend")
        add("idle", "GET", "idle")
        add("keep alive", "POST", "idle/keep-alive", body={})
        add("domain", "GET", "domain")
        add("idle timeout", "POST", "idle/timeout", body={"minutes": 120}, mutates=True)  # alice's own space
        add(
            "stop notebook instance",
            "POST",
            "cost/stop",
            body={"kind": "notebook_instance", "name": "legacy-analysis"},
            mutates=True,
        )
        add(
            "stop app",
            "POST",
            "cost/stop",
            body={"kind": "app", "name": "alice-space/JupyterLab/default"},
            mutates=True,
        )
        add(
            "stop mlflow",
            "POST",
            "cost/stop",
            body={"kind": "mlflow_tracking_server", "name": "team-mlflow"},
            mutates=True,
        )

    def _discover(self) -> None:
        """Which emulator operations each route calls (what the fault cases go through)."""
        for name, route in self.routes.items():
            value = self.prepare(route)
            self.world.clear_calls()
            status, text = self.run(route, value)
            assert status in route.ok, (name, status, text[:500])
            self.called[name] = set(self.world.calls())
            if route.mutates:
                self.reset_world()
        # the fallbacks: what cost calls while sagemaker:Search is denied
        for name in ("cost", "my cost"):
            self.world.fault("sagemaker:Search", "access_denied")
            self.world.clear_calls()
            status, _ = self.run(self.routes[name])
            self.called[name] |= set(self.world.calls()) & set(FALLBACKS)
            self.world.clear_faults()

    def routes_calling(self, operation: str) -> list[Route]:
        return [self.routes[name] for name, operations in self.called.items() if operation in operations]

    def log_mark(self) -> int:
        return len(self.server.log())

    def log_since(self, mark: int) -> str:
        return self.server.log()[mark:]

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


@pytest.fixture(scope="class")
def shared(local_world, tmp_path_factory):
    world = WorldHandle(local_world, local_world.scenario)
    server = SharedServer(local_world, world, tmp_path_factory.mktemp("faults-aws"))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        local_world.control.clear_faults()
        local_world.reseed()


class TestAwsFaultsOnEveryOperation:
    def test_the_cases_cover_every_operation_the_routes_call(self, shared):
        called = set().union(*shared.called.values()) - {"s3:ListBuckets"}  # the world's own bookkeeping
        assert called - set(OPERATIONS) == set(), "an operation the product calls has no fault case"
        unreached = [op for op, _ in SHARED_CASES if not shared.routes_calling(op)]
        assert unreached == [], f"no route calls {unreached}: the table and the routes disagree"

    @pytest.mark.parametrize("operation,kind", SHARED_CASES, ids=[f"{op}-{kind}" for op, kind in SHARED_CASES])
    def test_fault(self, shared, operation, kind):
        # the routes that change the world (stop buttons) last: the world is reseeded after them
        routes = sorted(shared.routes_calling(operation), key=lambda r: r.mutates)
        assert routes, f"no route calls {operation}"
        world = shared.world
        mark = shared.log_mark()
        answers = {}
        world.clear_faults()
        if operation in FALLBACKS:
            world.fault(FALLBACKS[operation], "access_denied")
        prepared = {route.name: shared.prepare(route) for route in routes}  # e.g. a share to import: made first
        world.clear_calls()
        world.fault(operation, kind)
        try:
            # the rest of the panel keeps answering while AWS fails
            for name in ("status", "repos", "cost"):
                status, text = shared.run(shared.routes[name])
                assert status == 200, (name, status, text[:400])
            for route in routes:
                answers[route.name] = shared.run(route, prepared[route.name])
            hit = world.calls().get(operation, 0)
        finally:
            world.clear_faults()
        assert hit >= 1, f"the routes did not call {operation} under the fault (a cache?)"
        if any(r.mutates and answers[r.name][0] < 300 for r in routes):
            shared.reset_world()  # a stop went through despite the fault: start again from the scenario
        for route in routes:
            status, text = answers[route.name]
            recovered_status, recovered = shared.run(route)
            assert recovered_status in route.ok, f"{route.name} after the fault: {recovered_status} {recovered[:400]}"
            check_fault_answer(route.name, operation, kind, status, text, route.html, None if route.html else recovered)
        if any(r.mutates for r in routes):
            shared.reset_world()
        log = shared.log_since(mark)
        assert "Traceback" not in log and "Uncaught exception" not in log, log[-3000:]


# --- the operations whose answers are kept, or called at start: a fresh server each -------------------------
FRESH_CASES = [(op, kind) for op in sorted(FRESH_SERVER) for kind in KINDS]
PRIVATE_REPO_SECRET = "studio-collab/git/feature-store"


def fresh_options(request) -> dict:
    world = request.getfixturevalue("world_env")
    options = {
        "share_store": "s3",
        "share_s3_bucket": world.scenario.section("s3_buckets")[0],
        "share_s3_prefix": f"faults-{os.getpid()}/",
        "cost_explorer_enabled": True,
        "repositories": [
            {
                "url": world.repo_url("feature-store"),
                "target": "private/feature-store",
                "credentials_secret": PRIVATE_REPO_SECRET,
            }
        ],
    }
    operation, kind = request.node.callspec.params["operation"], request.node.callspec.params["kind"]
    if operation == "pricing:GetProducts":
        tmp = request.getfixturevalue("tmp_path")
        options.update(price_refresh=True, price_cache_path=str(tmp / "prices.json"))
    world.fault(operation, kind)  # before the server starts: the Price List is read at start
    return options


FRESH_ROUTES = {
    "ce:GetCostAndUsage": ("cost", "spend"),
    "s3:HeadBucket": ("status",),
    "pricing:GetProducts": ("cost",),
    "sagemaker:DescribeEndpointConfig": ("cost",),
}


class TestFaultsFromAFreshServer:
    @pytest.mark.parametrize("operation,kind", FRESH_CASES, ids=[f"{op}-{kind}" for op, kind in FRESH_CASES])
    @config(fresh_options)
    async def test_fault(self, world_env, operation, kind, jp_fetch, jp_root_dir, caplog):
        if operation == "pricing:GetProducts":
            await until(lambda: "Price List refresh failed" in caplog.text)
            assert "pricing:GetProducts" in caplog.text  # the log says what failed (and proves it is captured)
        if operation == "secretsmanager:GetSecretValue":
            job = await self._clone(jp_fetch)
            assert job["state"] == "failed" and job["error"]["code"] == AWS_CODE[kind], job
            assert "secretsmanager:GetSecretValue" in job["error"]["message"]
            assert not (jp_root_dir / "private").exists() or leftovers(jp_root_dir / "private") == []
        else:
            status, faulted = await call(jp_fetch, "GET", *FRESH_ROUTES[operation])
        await rest_still_works(jp_fetch)
        hit = world_env.calls().get(operation, 0)
        world_env.clear_faults()
        assert hit >= 1, f"{operation} was not called under the fault"
        if operation == "secretsmanager:GetSecretValue":
            assert (await self._clone(jp_fetch))["state"] == "succeeded"
            assert (jp_root_dir / "private" / "feature-store" / ".git").is_dir()
        else:
            recovered_status, recovered = await call(jp_fetch, "GET", *FRESH_ROUTES[operation])
            assert recovered_status == 200, recovered
            if operation == "s3:HeadBucket":
                assert faulted["features"]["share"]["available"] is False, faulted
                assert recovered["features"]["share"]["available"] is True, recovered
            check_fault_answer(
                "/".join(FRESH_ROUTES[operation]),
                operation,
                kind,
                status,
                json.dumps(faulted),
                False,
                json.dumps(recovered),
            )
        no_traceback(caplog)

    @staticmethod
    async def _clone(jp_fetch) -> dict:
        """Clone the private repo (its token is in Secrets Manager); the finished job."""
        _, listing = await call(jp_fetch, "GET", "repos")
        repo = next(r for r in listing["repos"] if r["target"] == "private/feature-store")
        status, body = await call(jp_fetch, "POST", "repos", repo["id"], "clone")
        assert status == 202, body
        return await wait_job(jp_fetch, body["job"]["id"])


# =============================================================================================================
# 3. The S3 share store failing while a share is made and while one is imported
# =============================================================================================================
@pytest.fixture
def s3_store(world, tmp_path, monkeypatch):
    """The S3 store under a prefix of its own, and the server's temp files (import downloads) in a folder we see."""
    server_tmp = tmp_path / "server-tmp"
    server_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(server_tmp))
    return {
        "bucket": world.scenario.section("s3_buckets")[0],
        "prefix": f"faults-{random.randrange(1 << 30):x}/",
        "tmp": server_tmp,
    }


def s3_options(request) -> dict:
    store = request.getfixturevalue("s3_store")
    return {"share_store": "s3", "share_s3_bucket": store["bucket"], "share_s3_prefix": store["prefix"]}


def store_keys(world, store) -> set[str]:
    s3 = world.client("s3")
    listed = s3.list_objects_v2(Bucket=store["bucket"], Prefix=store["prefix"]).get("Contents", [])
    uploads = s3.list_multipart_uploads(Bucket=store["bucket"], Prefix=store["prefix"]).get("Uploads", [])
    assert uploads == [], "an unfinished multipart upload lingers (and bills)"
    keys = {o["Key"][len(store["prefix"]) :] for o in listed}
    # The cost feature's shared domain inventory lives beside the shares (inventory/): not a share's part.
    return {key for key in keys if not key.startswith("inventory/")}


async def with_nth_call_failing(world, operation: str, n: int, kind: str, work):
    """Run ``work`` (a coroutine) with the n-th call of ``operation`` from now failing with ``kind``: the calls
    before it are slowed down until that fault is in place."""
    world.clear_faults()
    world.clear_calls()
    if n == 1:
        world.fault(operation, kind)
        return await work
    world.fault(operation, "latency", latency_ms=600, count=n - 1)
    task = asyncio.ensure_future(work)
    deadline = time.monotonic() + 20
    while world.calls().get(operation, 0) < n - 1:
        assert not task.done(), f"the work ended before {operation} was called {n - 1} times: {task.result()}"
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    world.fault(operation, kind)
    return await task


async def settle(world) -> None:
    """Let background store work (the start-up cleanup) end, so that counting calls counts ours only."""
    last = None
    for _ in range(50):
        now = world.calls()
        if now == last:
            return
        last = now
        await asyncio.sleep(0.3)


# content, then the manifest, then the author's marker: whichever fails, no part of the share is left
SHARE_STEPS = [
    ("s3:PutObject", 1, "content", "error500"),
    ("s3:PutObject", 1, "content", "access_denied"),
    ("s3:PutObject", 2, "manifest", "error500"),
    ("s3:PutObject", 3, "marker", "access_denied"),
]
# the manifest, the content's size (HEAD), the content, the manifest again (a revoke meanwhile wins)
IMPORT_STEPS = [
    ("s3:GetObject", 1, "manifest", "access_denied"),
    ("s3:HeadObject", 1, "content-head", "error500"),
    ("s3:GetObject", 2, "content", "error500"),
    ("s3:GetObject", 2, "content", "access_denied"),
    ("s3:GetObject", 3, "manifest-again", "error500"),
]


@pytest.mark.parametrize("operation,n,step,kind", SHARE_STEPS, ids=[f"{s[2]}-{s[3]}" for s in SHARE_STEPS])
@config(s3_options)
async def test_store_fails_while_sharing(world_env, s3_store, operation, n, step, kind, jp_fetch, jp_root_dir, caplog):
    make_notebook(jp_root_dir / "train.ipynb", output_bytes=2_000)
    request = {"path": "train.ipynb", "target_space": "team-space", "include_outputs": True}
    status, mine = await call(jp_fetch, "GET", "shares")
    assert (status, mine) == (200, {"shares": []})
    await settle(world_env)
    status, body = await with_nth_call_failing(
        world_env, operation, n, kind, call(jp_fetch, "POST", "shares", body=request)
    )
    world_env.clear_faults()
    assert_clear_error(status, body, {AWS_CODE[kind]})
    assert "s3:PutObject" in body["message"]
    assert store_keys(world_env, s3_store) == set(), f"a partial share is left in the store after its {step} failed"
    assert await call(jp_fetch, "GET", "shares") == (200, {"shares": []})
    await rest_still_works(jp_fetch)
    status, body = await call(jp_fetch, "POST", "shares", body=request)
    assert status == 201, body
    share = body["share"]["id"]
    assert store_keys(world_env, s3_store) == {
        f"shares/{share}/content",
        f"shares/{share}/manifest.json",
        f"authors/alice/{share}",
    }
    status, mine = await call(jp_fetch, "GET", "shares")
    assert [s["id"] for s in mine["shares"]] == [share]
    no_traceback(caplog)


@pytest.mark.parametrize("operation,n,step,kind", IMPORT_STEPS, ids=[f"{s[2]}-{s[3]}" for s in IMPORT_STEPS])
@config(s3_options)
async def test_store_fails_while_importing(
    world_env, s3_store, operation, n, step, kind, jp_fetch, jp_root_dir, caplog
):
    source = make_notebook(jp_root_dir / "train.ipynb", output_bytes=50_000)
    status, body = await call(
        jp_fetch, "POST", "shares", body={"path": "train.ipynb", "target_space": "team-space", "include_outputs": True}
    )
    assert status == 201, body
    share = body["share"]["id"]
    before = sorted(p.relative_to(jp_root_dir).as_posix() for p in jp_root_dir.rglob("*"))
    await settle(world_env)
    status, body = await with_nth_call_failing(
        world_env, operation, n, kind, call(jp_fetch, "POST", "shares", share, "import", body={})
    )
    world_env.clear_faults()
    assert_clear_error(
        status, body, {AWS_CODE[kind], "aws_error"} if operation in HEAD_OPERATIONS else {AWS_CODE[kind]}
    )
    # no partial file in the target space, no temp download left behind
    assert sorted(p.relative_to(jp_root_dir).as_posix() for p in jp_root_dir.rglob("*")) == before
    assert list(s3_store["tmp"].iterdir()) == []
    await rest_still_works(jp_fetch)
    status, body = await call(jp_fetch, "POST", "shares", share, "import", body={})
    assert status == 200, body
    landed = jp_root_dir / body["path"]
    assert landed.read_bytes() == source.read_bytes() and list(s3_store["tmp"].iterdir()) == []
    status, mine = await call(jp_fetch, "GET", "shares")
    assert [s["id"] for s in mine["shares"]] == [share], "the share itself is untouched"
    no_traceback(caplog)


# =============================================================================================================
# 4. The MLflow server killed
# =============================================================================================================
class TcpRelay:
    """A TCP relay on a fixed loopback port in front of a server. ``kill`` is that server dying (open connections
    reset, new ones refused); ``start`` again is it coming back on the same address."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._bound = self._bind(0)  # the first port is the one bound, read back; a restart binds it again
        self.port = self._bound.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    @staticmethod
    def _bind(port: int) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        return listener

    def start(self) -> TcpRelay:
        listener, self._bound = self._bound or self._bind(self.port), None
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True, name="mlflow-relay").start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def kill(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for end in self._sockets:
                with contextlib.suppress(OSError):
                    end.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    end.close()
            self._sockets.clear()


@pytest.fixture
def mlflow_relay(mlflow_world):
    relay = TcpRelay(int(mlflow_world.mlflow_url.rsplit(":", 1)[1])).start()
    yield relay
    relay.kill()


MLFLOW_TIMEOUT = 600.0  # far longer than the test: answering at all shows nobody waited for a dead server


@config(
    lambda request: {
        "mlflow_tracking_uri": request.getfixturevalue("mlflow_relay").url,
        "mlflow_timeout_seconds": MLFLOW_TIMEOUT,
    }
)
async def test_mlflow_killed(world_env, mlflow_relay, jp_fetch, caplog):
    status, overview = await call(jp_fetch, "GET", "experiments")
    sources = {s["name"]: s for s in overview["sources"]}
    assert all(s["available"] for s in sources.values()), sources
    # the seeded one: other tests of the session add MLflow experiments of their own
    experiment = next(e for e in overview["experiments"] if e["source"] == "mlflow" and e["name"] == "churn-prediction")
    runs_path = ("experiments", "mlflow", experiment["id"], "runs")
    _, runs = await call(jp_fetch, "GET", *runs_path)
    run_id, other_run = runs["runs"][0]["id"], runs["runs"][1]["id"]

    mlflow_relay.kill()
    started = time.monotonic()
    status, overview = await call(jp_fetch, "GET", "experiments")
    assert status == 200 and time.monotonic() - started < MLFLOW_TIMEOUT / 2  # a refused connection, not a timeout
    sources = {s["name"]: s for s in overview["sources"]}
    assert sources["mlflow"]["available"] is False and "not reachable" in sources["mlflow"]["reason"], sources
    assert sources["training-jobs"]["available"] and sources["legacy"]["available"], "the other sources still work"
    assert {e["source"] for e in overview["experiments"]} >= {"training-jobs", "legacy"}
    status, runs = await call(jp_fetch, "GET", *runs_path)
    assert status == 200 and runs["available"] is False and runs["runs"] == [] and runs["reason"], runs
    status, body = await call(jp_fetch, "GET", *runs_path, run_id)
    assert_clear_error(status, body, {"mlflow_unreachable"})
    status, body = await call(
        jp_fetch, "GET", "experiments", "compare", params={"source": "mlflow", "runs": f"{run_id},{other_run}"}
    )
    assert_clear_error(status, body, {"mlflow_unreachable"})
    training = next(e for e in overview["experiments"] if e["source"] == "training-jobs")
    status, other = await call(jp_fetch, "GET", "experiments", "training-jobs", training["id"], "runs")
    assert status == 200 and other["available"] and other["runs"], other
    status, body = await call(jp_fetch, "GET", "status")
    assert body["features"]["experiments"]["available"] is True
    await rest_still_works(jp_fetch)

    mlflow_relay.start()  # the server is back on the same address: no restart of Jupyter needed
    status, runs = await call(jp_fetch, "GET", *runs_path)
    assert status == 200 and runs["available"] is True and runs["runs"][0]["id"] == run_id
    no_traceback(caplog)


# =============================================================================================================
# 5. The Jupyter server killed mid-clone, and started again on the same folder
# =============================================================================================================
def git_processes_in(folder: Path) -> list[int]:
    """Live git processes working in, or naming, ``folder``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            cwd = os.readlink(entry / "cwd")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if (
            state not in ("Z", "X")
            and os.path.basename(argv[0]).startswith("git")
            and (cwd.startswith(str(folder)) or any(str(folder) in a for a in argv))
        ):
            found.append(int(entry.name))
    return found


def live_api(server, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    response = requests.request(
        method,
        server.api(path),
        headers=server.headers,
        timeout=30,
        data=json.dumps(body) if body is not None else None,
    )
    return response.status_code, response.json()


def live_job(server, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = live_api(server, "GET", f"jobs/{job_id}")[1]["job"]
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end")


def test_server_killed_mid_clone_then_restarted(world_env, big_repo, tmp_path):
    root = tmp_path / "root"
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "StudioCollabApp": {
                    "repositories": [{"url": big_repo, "target": "big"}],
                    "git_fetch_interval_seconds": 0,
                    "aws_max_attempts": 1,
                    "git_timeout_seconds": 600,
                }
            }
        )
    )
    env = {"JUPYTER_CONFIG_DIR": str(config_dir)}
    first = start_lab(root, command="server", env=env)
    second = None
    try:
        repo = repo_named(live_api(first, "GET", "repos")[1], big_repo)
        world_env.git_faults(rate_limit_bps=150_000)  # ~4 MB: the clone takes about half a minute
        status, body = live_api(first, "POST", f"repos/{repo['id']}/clone", {})
        assert status == 202, body
        job_id = body["job"]["id"]
        deadline = time.monotonic() + 30
        while live_api(first, "GET", f"jobs/{job_id}")[1]["job"]["progress"] <= 0.02:
            assert time.monotonic() < deadline, "the clone did not start"
            time.sleep(0.2)
        os.killpg(first.process.pid, signal.SIGKILL)  # the whole server process group, mid-clone
        first.process.wait(timeout=10)
        assert leftovers(root), "the killed server left no temporary folder: the case does not test the sweep"
        assert git_processes_in(root), "git was expected to outlive the server (its own session)"

        second = start_lab(root, command="server", env=env)
        status, body = live_api(second, "GET", f"jobs/{job_id}")
        assert status == 200, (body, leftovers(root), second.log()[-3000:])
        job = body["job"]
        assert job["state"] == "failed" and job["kind"] == "git_clone", job
        assert job["error"]["code"] == "server_restarted" and "Clone it again" in job["error"]["message"], job
        row = repo_named(live_api(second, "GET", "repos")[1], big_repo)
        assert row["state"] == "error" and row["error"]["code"] == "server_restarted", row
        deadline = time.monotonic() + 15
        while leftovers(root) or git_processes_in(root):
            assert time.monotonic() < deadline, (leftovers(root), git_processes_in(root))
            time.sleep(0.2)
        assert not (root / "big").exists(), "no half-written target"
        for path in ("status", "repos", "cost"):
            assert live_api(second, "GET", path)[0] == 200, path

        world_env.git_faults()
        status, body = live_api(second, "POST", f"repos/{repo['id']}/clone", {})
        assert status == 202, body
        assert live_job(second, body["job"]["id"])["state"] == "succeeded"
        assert (root / "big" / ".git").is_dir() and len(list((root / "big" / "data").iterdir())) == 250
        assert leftovers(root) == []
        log = second.log()
        assert "interrupted by a server restart" in log  # the log is read, so the next check can fail
        assert "Traceback" not in log, log[-3000:]
    finally:
        world_env.git_faults()
        for server in (first, second):
            if server is not None:
                server.stop()
