"""GET idle on a real server with real kernels and terminals (no AWS needed outside Studio)."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from tornado.httpclient import HTTPClientError


@pytest.fixture
def studio_collab_config():
    # The own shutdown is configured, but outside Studio it must never act.
    return {"idle_shutdown_minutes": 0.02, "idle_warning_minutes": 0.01}


@pytest.fixture
def no_region(outside_studio, monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)


async def idle(jp_fetch) -> dict:
    return json.loads((await jp_fetch("studio-collab", "idle")).body)


async def execute(ws, code: str) -> str:
    msg_id = uuid.uuid4().hex
    await ws.write_message(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "msg_type": "execute_request",
                    "username": "test",
                    "session": uuid.uuid4().hex,
                    "version": "5.3",
                },
                "parent_header": {},
                "metadata": {},
                "channel": "shell",
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": False,
                    "user_expressions": {},
                    "allow_stdin": False,
                },
            }
        )
    )
    return msg_id


async def wait_for(predicate, jp_fetch, timeout=30.0) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        answer = await idle(jp_fetch)
        if predicate(answer):
            return answer
        assert asyncio.get_running_loop().time() < deadline, f"timed out; last answer {answer}"
        await asyncio.sleep(0.2)


async def test_idle_follows_real_kernels(no_region, jp_fetch, jp_ws_fetch, openapi_validator):
    first = await idle(jp_fetch)
    openapi_validator.validate("get", "/idle", 200, first)
    assert first["kernels"] == [] and first["busy"] is False
    assert first["policy"] == {"source": "studio_collab", "timeout_minutes": 0.02, "range": None}
    assert first["own_shutdown"]["enabled"] is True and first["own_shutdown"]["acts"] is False
    assert any("outside SageMaker Studio" in note for note in first["notes"])

    kernel = json.loads((await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))).body)
    ws = await jp_ws_fetch("api", "kernels", kernel["id"], "channels")
    try:
        started = await wait_for(lambda a: a["kernels"] and a["kernels"][0]["execution_state"] == "idle", jp_fetch)
        assert started["kernels"][0]["id"] == kernel["id"]

        await execute(ws, "import time; time.sleep(2)")
        busy = await wait_for(lambda a: a["busy"], jp_fetch)
        assert busy["idle_minutes"] == 0 and busy["shutdown_at"] is None
        assert busy["kernels"][0]["execution_state"] == "busy"

        done = await wait_for(lambda a: not a["busy"], jp_fetch)
        # The kernel's last message is now the latest activity; an open, silent kernel is not activity.
        assert done["last_activity"] >= busy["last_activity"][:19]
        # the silent kernel's idle time grows until the warning before the (1.2 s) shutdown shows
        later = await wait_for(lambda a: a["own_shutdown"]["warning"], jp_fetch)
        assert later["idle_minutes"] > 0 and later["last_activity"] == done["last_activity"]
        assert later["shutdown_at"] is not None
    finally:
        ws.close()
        await jp_fetch("api", "kernels", kernel["id"], method="DELETE")


async def test_terminal_counts_as_activity(no_region, jp_fetch):
    terminal = json.loads((await jp_fetch("api", "terminals", method="POST", body="{}")).body)
    try:
        answer = await idle(jp_fetch)
        assert [t["name"] for t in answer["terminals"]] == [terminal["name"]]
        assert answer["terminals"][0]["last_activity"]
    finally:
        await jp_fetch("api", "terminals", terminal["name"], method="DELETE")


async def test_keep_alive_restarts_the_countdown(no_region, jp_fetch, openapi_validator):
    before = await idle(jp_fetch)
    # the countdown is running, and long enough that the keep-alive's timestamp (whole seconds) is a later one
    await wait_for(lambda a: a["idle_minutes"] > before["idle_minutes"] and a["idle_minutes"] * 60 >= 2, jp_fetch)
    answer = json.loads((await jp_fetch("studio-collab", "idle", "keep-alive", method="POST", body="{}")).body)
    openapi_validator.validate("post", "/idle/keep-alive", 200, answer)
    assert answer["last_activity"] > before["last_activity"]
    assert answer["shutdown_at"] > before["shutdown_at"]
    assert answer["idle_minutes"] < 0.01


async def test_cost_outside_studio_without_region_is_unavailable(no_region, jp_fetch, openapi_validator):
    body = json.loads((await jp_fetch("studio-collab", "cost")).body)
    openapi_validator.validate("get", "/cost", 200, body)
    assert body["available"] is False and "AWS_REGION" in body["reason"]
    assert body["resources"] == [] and body["burn_rate_per_hour"] == 0
    domain = json.loads((await jp_fetch("studio-collab", "domain")).body)
    openapi_validator.validate("get", "/domain", 200, domain)
    assert domain["verdict"] == "unknown" and domain["available"] is False


async def test_bad_scope_and_kind_are_400(no_region, jp_fetch, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("studio-collab", "cost", params={"scope": "everything"})
    assert err.value.code == 400 and json.loads(err.value.response.body)["code"] == "invalid_scope"
    for body in ({"kind": "endpoint", "name": "x"}, {"kind": "app"}, {"name": "x"}, {"kind": 3, "name": "x"}):
        with pytest.raises(HTTPClientError) as err:
            await jp_fetch("studio-collab", "cost", "stop", method="POST", body=json.dumps(body))
        assert err.value.code == 400, body
        assert set(json.loads(err.value.response.body)) == {"code", "message"}


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "cost"),
        ("POST", "cost/stop"),
        ("GET", "idle"),
        ("POST", "idle/keep-alive"),
        ("GET", "domain"),
        ("GET", "cost/spend"),
    ],
)
async def test_every_route_needs_authentication(no_region, jp_fetch, method, path):
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch(
            "studio-collab",
            *path.split("/"),
            method=method,
            headers={"Authorization": ""},
            **({"body": "{}"} if method == "POST" else {}),
        )
    assert err.value.code == 403


@pytest.mark.parametrize(
    "kind,name",
    [
        ("notebook_instance", "has space"),
        ("notebook_instance", "x" * 64),
        ("notebook_instance", "-lead"),
        ("app", "space/JupyterLab"),
        ("app", "space/NoSuchType/default"),
        ("app", "a/JupyterLab/default/extra"),
        ("mlflow_tracking_server", "ünïcode"),
        ("mlflow_tracking_server", ""),
    ],
)
async def test_names_aws_would_refuse_are_400_before_any_call(no_region, jp_fetch, monkeypatch, kind, name):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("studio-collab", "cost", "stop", method="POST", body=json.dumps({"kind": kind, "name": name}))
    assert err.value.code == 400 and json.loads(err.value.response.body)["code"] == "invalid_name"
