"""The idle explainer (row C11) on the world: which kernel or terminal keeps the app alive, shutting one down
through jupyter_server, and the space's own idle timeout set with UpdateSpace within the admin's range."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

from tests.cost.test_idle_local import execute, wait_for

pytestmark = pytest.mark.world


async def get_json(jp_fetch, *path, method="GET", body=None):
    response = await jp_fetch(*path, method=method, **({"body": json.dumps(body)} if body is not None else {}))
    return json.loads(response.body)


async def refused(jp_fetch, *path, body=None) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch(*path, method="POST", body=json.dumps(body if body is not None else {}))
    return err.value.code, json.loads(err.value.response.body)["code"]


def space_timeout(world, space: str) -> int | None:
    """The space's idle timeout as AWS (the emulator) keeps it: the independent truth."""
    settings = world.client("sagemaker").describe_space(DomainId=world.domain_id, SpaceName=space)["SpaceSettings"]
    lab = settings.get("JupyterLabAppSettings") or {}
    return ((lab.get("AppLifecycleManagement") or {}).get("IdleSettings") or {}).get("IdleTimeoutInMinutes")


async def test_blockers_are_listed_and_shut_down(world_env, jp_fetch, openapi_validator):
    session = await get_json(
        jp_fetch,
        "api",
        "sessions",
        method="POST",
        body={"path": "work/train.ipynb", "name": "train.ipynb", "type": "notebook", "kernel": {"name": "python3"}},
    )
    terminal = await get_json(jp_fetch, "api", "terminals", method="POST", body={})
    kernel_id = session["kernel"]["id"]
    try:
        answer = await wait_for(lambda a: len(a["blockers"]) == 2, jp_fetch)
        openapi_validator.validate("get", "/idle", 200, answer)
        by_kind = {b["kind"]: b for b in answer["blockers"]}
        assert len(answer["blockers"]) == 2
        assert by_kind["kernel"]["id"] == kernel_id and by_kind["kernel"]["path"] == "work/train.ipynb"
        assert by_kind["kernel"]["name"] == "train.ipynb" and by_kind["kernel"]["last_activity"]
        assert by_kind["terminal"]["id"] == terminal["name"] and by_kind["terminal"]["state"] == "open"

        shut = await get_json(
            jp_fetch,
            "studio-collab",
            "idle",
            "blockers",
            "terminal",
            terminal["name"],
            "shutdown",
            method="POST",
            body={},
        )
        openapi_validator.validate("post", f"/idle/blockers/terminal/{terminal['name']}/shutdown", 200, shut)
        assert shut["shut_down"] is True and [b["kind"] for b in shut["idle"]["blockers"]] == ["kernel"]
        assert await get_json(jp_fetch, "api", "terminals") == []  # jupyter_server's own list

        shut = await get_json(
            jp_fetch, "studio-collab", "idle", "blockers", "kernel", kernel_id, "shutdown", method="POST", body={}
        )
        assert shut["path"] == "work/train.ipynb" and shut["idle"]["blockers"] == []
        # The whole session went, as with JupyterLab's "Shut Down Kernel": the lab sees it gone.
        assert await get_json(jp_fetch, "api", "sessions") == []
        assert await get_json(jp_fetch, "api", "kernels") == []
    finally:
        for path in (("api", "sessions", session["id"]), ("api", "terminals", terminal["name"])):
            try:
                await jp_fetch(*path, method="DELETE")
            except HTTPClientError:
                pass

    assert await refused(jp_fetch, "studio-collab", "idle", "blockers", "kernel", kernel_id, "shutdown") == (
        404,
        "not_found",
    )
    assert await refused(jp_fetch, "studio-collab", "idle", "blockers", "process", "1", "shutdown") == (
        400,
        "invalid_kind",
    )


async def test_busy_kernel_is_not_shut_down(world_env, jp_fetch, jp_ws_fetch):
    kernel = await get_json(jp_fetch, "api", "kernels", method="POST", body={"name": "python3"})
    ws = await jp_ws_fetch("api", "kernels", kernel["id"], "channels")
    try:
        await wait_for(lambda a: a["blockers"] and a["blockers"][0]["state"] == "idle", jp_fetch)
        await execute(ws, "import time; time.sleep(3)")
        await wait_for(lambda a: a["blockers"][0]["state"] == "busy", jp_fetch)
        assert await refused(jp_fetch, "studio-collab", "idle", "blockers", "kernel", kernel["id"], "shutdown") == (
            409,
            "kernel_busy",
        )
        assert [k["id"] for k in await get_json(jp_fetch, "api", "kernels")] == [kernel["id"]]
    finally:
        ws.close()
        await jp_fetch("api", "kernels", kernel["id"], method="DELETE")


@pytest.mark.world_scenario("manual")
@pytest.mark.world_space("dana-space")
async def test_owner_sets_the_space_timeout_within_range(world_env, jp_fetch, openapi_validator):
    before = await get_json(jp_fetch, "studio-collab", "idle")
    assert before["policy"]["range"] == {"min": 60, "max": 480, "source": "domain"}
    world_env.clear_calls()
    for minutes in (59, 481, 525600):
        assert await refused(jp_fetch, "studio-collab", "idle", "timeout", body={"minutes": minutes}) == (
            400,
            "timeout_out_of_range",
        )
    assert await refused(jp_fetch, "studio-collab", "idle", "timeout", body={"minutes": "90"}) == (
        400,
        "invalid_minutes",
    )
    assert world_env.calls().get("sagemaker:UpdateSpace", 0) == 0
    assert space_timeout(world_env, "dana-space") is None

    answer = await get_json(jp_fetch, "studio-collab", "idle", "timeout", method="POST", body={"minutes": 90})
    openapi_validator.validate("post", "/idle/timeout", 200, answer)
    assert world_env.calls().get("sagemaker:UpdateSpace") == 1
    assert space_timeout(world_env, "dana-space") == 90
    assert (answer["policy"]["source"], answer["policy"]["timeout_minutes"]) == ("space", 90)
    assert answer["shutdown_at"] is not None


@pytest.mark.world_space("team-space")
async def test_timeout_is_refused_to_a_non_owner(world_env, jp_fetch):
    # team-space is alice's shared space; the request names no user profile of the domain, so nobody is acting
    # (the identity rules: an unknown viewer never acts, and is never taken for the owner).
    world_env.clear_calls()
    assert await refused(jp_fetch, "studio-collab", "idle", "timeout", body={"minutes": 120}) == (
        403,
        "identity_unknown",
    )
    assert world_env.calls().get("sagemaker:UpdateSpace", 0) == 0
    assert space_timeout(world_env, "team-space") is None
