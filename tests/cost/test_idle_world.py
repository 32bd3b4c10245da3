"""Idleness inside Studio: the policy AWS would apply, and the own idle shutdown calling DeleteApp."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.helpers import until

pytestmark = pytest.mark.world


async def idle(jp_fetch) -> dict:
    return json.loads((await jp_fetch("studio-collab", "idle")).body)


def delete_app_calls(world) -> int:
    return world.calls().get("sagemaker:DeleteApp", 0)


async def test_domain_policy_applies_when_no_own_shutdown(world_env, jp_fetch, openapi_validator):
    answer = await idle(jp_fetch)
    openapi_validator.validate("get", "/idle", 200, answer)
    # The demo domain lets users choose 60..525600 minutes (its Min/MaxIdleTimeoutInMinutes).
    assert answer["policy"] == {
        "source": "domain",
        "timeout_minutes": 60,
        "range": {"min": 60, "max": 525600, "source": "domain"},
    }
    assert answer["own_shutdown"]["enabled"] is False
    assert answer["shutdown_at"] is not None and answer["shutdown_at"] > answer["last_activity"]


@pytest.mark.world_scenario("manual")
@pytest.mark.world_space("dana-space")
async def test_manual_domain_policy(world_env, jp_fetch):
    policy = (await idle(jp_fetch))["policy"]
    assert (policy["source"], policy["timeout_minutes"]) == ("domain", 120)


class TestOwnShutdown:
    @pytest.fixture
    def studio_collab_config(self):
        return {"idle_shutdown_minutes": 0.05, "idle_warning_minutes": 0.03}  # 3 s, warned after 1.2 s

    async def test_idle_app_is_deleted_at_the_emulator(self, world_env, jp_fetch):
        kernel = json.loads(
            (await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))).body
        )
        try:
            first = await idle(jp_fetch)
            assert (first["policy"]["source"], first["policy"]["timeout_minutes"]) == ("studio_collab", 0.05)
            assert {"source": "domain", "timeout_minutes": 60} in first["policies"]
            assert first["own_shutdown"]["acts"] is True
            # An open, silent kernel is no activity: the app is stopped all the same.
            assert await until(lambda: delete_app_calls(world_env) == 1, timeout=15)
            app = world_env.client("sagemaker").describe_app(
                DomainId=world_env.domain_id, SpaceName="alice-space", AppType="JupyterLab", AppName="default"
            )
            assert app["Status"] in {"Deleting", "Deleted"}
            after = await idle(jp_fetch)
            assert after["own_shutdown"]["requested_at"] is not None
            await asyncio.sleep(1)
            assert delete_app_calls(world_env) == 1  # asked once, not on every check
        finally:
            await jp_fetch("api", "kernels", kernel["id"], method="DELETE")

    async def test_keep_alive_resets_the_countdown(self, world_env, jp_fetch):
        loop = asyncio.get_running_loop()
        end = loop.time() + 5
        warned = False
        while loop.time() < end:
            answer = await idle(jp_fetch)
            warned = warned or answer["own_shutdown"]["warning"]
            if answer["own_shutdown"]["warning"]:
                kept = json.loads(
                    (await jp_fetch("studio-collab", "idle", "keep-alive", method="POST", body="{}")).body
                )
                assert kept["own_shutdown"]["warning"] is False
            await asyncio.sleep(0.3)
        assert warned, "the warning before the shutdown never showed"
        assert delete_app_calls(world_env) == 0
        assert await until(lambda: delete_app_calls(world_env) == 1, timeout=10)

    async def test_failed_delete_is_reported(self, world_env, jp_fetch):
        world_env.fault("sagemaker:DeleteApp", "access_denied")
        assert await until(lambda: delete_app_calls(world_env) == 1, timeout=15)

        async def reported():
            answer = await idle(jp_fetch)
            return answer if answer["own_shutdown"]["error"] else None

        answer = await until(reported, timeout=15, what="the refused DeleteApp reported")
        assert "sagemaker:DeleteApp" in answer["own_shutdown"]["error"]
        assert answer["own_shutdown"]["requested_at"] is None
