"""An MLflow server that is killed, hangs or answers 500: available false with the reason, never a hang."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.experiments.conftest import get_json
from tests.experiments.mlflow_proxy import RecordingProxy
from tests.helpers import until

# Long enough that the recording proxy (a thread of this test's process, beside the server) has read the request
# before the product gives up, on a machine busy with other work.
TIMEOUT = 5.0


@pytest.fixture(autouse=True)
def _in_world(mlflow_world, world_env):
    pass


@pytest.fixture
def own_mlflow(tmp_path):
    """A second real MLflow server (the world's own class) that this test may kill."""
    from studio_world.mlflow_server import MlflowServer
    from studio_world.training import seed_mlflow

    server = MlflowServer(tmp_path / "mlflow").start()
    seed_mlflow(server.url, ["to-be-killed"], runs_per_experiment=2, steps=3)
    yield server
    server.stop()


@pytest.fixture
def proxy(mlflow_world):
    proxy = RecordingProxy(mlflow_world.mlflow_url).start()
    yield proxy
    proxy.stop()


KILLED_TIMEOUT = 600.0


class TestKilledWhilePolling:
    @pytest.fixture
    def studio_collab_config(self, own_mlflow):
        return {
            "mlflow_tracking_uri": own_mlflow.url,
            # far longer than the test: a killed server refuses at once, so any wait on it would show
            "mlflow_timeout_seconds": KILLED_TIMEOUT,
            "experiments_cache_ttl_seconds": 0.2,
        }

    async def test_mlflow_killed_while_polling(self, jp_fetch, own_mlflow):
        overview = await get_json(jp_fetch, "experiments")
        experiment = next(e for e in overview["experiments"] if e["name"] == "to-be-killed")
        answers: list[tuple[float, dict, float]] = []

        stop = asyncio.Event()

        async def poll() -> None:
            while not stop.is_set():
                started = time.monotonic()
                body = await get_json(jp_fetch, "experiments", "mlflow", experiment["id"], "runs")
                answers.append((started, body, time.monotonic() - started))
                await asyncio.sleep(0.1)

        polling = asyncio.ensure_future(poll())
        await until(lambda: len(answers) >= 5, timeout=60, what="five answers from the live server")
        killed_at = time.monotonic()
        await asyncio.get_running_loop().run_in_executor(None, own_mlflow.stop)
        # the first answer that saw the kill (past the 0.2 s cache), then three more asked after it
        first_down = await until(
            lambda: next((started for started, body, _ in answers if not body["available"]), None),
            timeout=60,
            what="an answer that saw the kill",
        )
        await until(
            lambda: sum(started > first_down for started, _, _ in answers) >= 3,
            timeout=60,
            what="three answers after the first one that saw the kill",
        )
        stop.set()
        await polling

        before = [body for started, body, _ in answers if started < killed_at - 0.3]
        after = [body for started, body, _ in answers if started > first_down]  # never back up in between
        assert before and all(b["available"] and len(b["runs"]) == 2 for b in before)
        assert after and all(not b["available"] and b["runs"] == [] for b in after)
        assert "not reachable" in after[-1]["reason"] and own_mlflow.url in after[-1]["reason"]
        assert max(elapsed for _, _, elapsed in answers) < KILLED_TIMEOUT / 2  # nobody waited on a dead server

        overview = await get_json(jp_fetch, "experiments")
        sources = {s["name"]: s for s in overview["sources"]}
        assert sources["mlflow"]["available"] is False and "not reachable" in sources["mlflow"]["reason"]
        assert sources["training-jobs"]["available"] is True  # the rest of the section keeps working
        status = await get_json(jp_fetch, "status")
        assert status["features"]["experiments"]["available"] is True

        own_mlflow.start()  # same port and store: the source recovers by itself
        recovered = await get_json(jp_fetch, "experiments", "mlflow", experiment["id"], "runs")
        assert recovered["available"] is True and len(recovered["runs"]) == 2


class TestHangingOrFailingServer:
    @pytest.fixture
    def studio_collab_config(self, proxy, request):
        # the short timeout only where a hang is the fault: elsewhere a loaded machine must not turn an answer
        # (a 500, a 401) into a timeout
        hanging = "hanging" in request.node.name
        return {"mlflow_tracking_uri": proxy.url, "mlflow_timeout_seconds": TIMEOUT if hanging else 60}

    async def test_a_hanging_server_costs_one_timeout(self, jp_fetch, proxy):
        proxy.mode = "hang"
        started = time.monotonic()
        body = await get_json(jp_fetch, "experiments")
        elapsed = time.monotonic() - started
        mlflow = next(s for s in body["sources"] if s["name"] == "mlflow")
        assert mlflow["available"] is False and "did not answer in time" in mlflow["reason"]
        assert elapsed >= TIMEOUT - 0.2  # it waited for the timeout...
        await until(lambda: any("/api/2.0/mlflow/" in r.path for r in proxy.requests), 30, what="the proxy's record")
        asked = [r for r in proxy.requests if "/api/2.0/mlflow/" in r.path]
        assert len(asked) == 1, asked  # ...once: no retry, no second call to a server that hangs
        runs = await get_json(jp_fetch, "experiments", "mlflow", "1", "runs")
        assert runs["available"] is False and runs["runs"] == []

    async def test_a_500_is_reported_not_passed_on(self, jp_fetch, proxy):
        proxy.mode = "error500"
        body = await get_json(jp_fetch, "experiments")
        mlflow = next(s for s in body["sources"] if s["name"] == "mlflow")
        assert mlflow["available"] is False and "HTTP 500" in mlflow["reason"] and "<html>" not in mlflow["reason"]
        detail = await get_json(
            jp_fetch, "experiments", "mlflow", "1", "runs", "0123456789abcdef0123456789abcdef", expect=503
        )
        assert detail["code"] == "mlflow_error"
        proxy.mode = "forward"
        assert (await get_json(jp_fetch, "experiments", "mlflow", "1", "runs"))["available"] is True

    async def test_refused_access_names_the_fix_without_the_page(self, jp_fetch, proxy):
        proxy.mode = "denied"
        body = await get_json(jp_fetch, "experiments")
        mlflow = next(s for s in body["sources"] if s["name"] == "mlflow")
        assert mlflow["available"] is False and "refused access" in mlflow["reason"]
        assert "MLFLOW_TRACKING_USERNAME" in mlflow["reason"] and "<html>" not in mlflow["reason"]
        detail = await get_json(
            jp_fetch, "experiments", "mlflow", "1", "runs", "0123456789abcdef0123456789abcdef", expect=403
        )
        assert detail["code"] == "mlflow_access_denied"
