"""AWS's rate limits on the world (row C8): the emulator throttles per account and operation; the inventory
paces itself and retries, so no ThrottlingException reaches a user."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.world


@pytest.fixture
def studio_collab_config():
    return {"cost_cache_ttl_seconds": 0.3}


async def get_cost(jp_fetch, scope: str = "domain") -> dict:
    return json.loads((await jp_fetch("studio-collab", "cost", params={"scope": scope})).body)


def test_emulator_throttles_per_account_and_operation(world):
    limits = world.rate_limits(True, [{"operation": "sagemaker:ListApps", "rate": 2, "burst": 3}])
    assert limits["enabled"] is True and limits["rates"][0] == {
        "operation": "sagemaker:ListApps",
        "rate": 2,
        "burst": 3,
    }
    sm = world.client("sagemaker")
    outcomes = []
    for _ in range(6):
        try:
            sm.list_apps(DomainIdEquals=world.domain_id)
            outcomes.append("ok")
        except ClientError as err:
            outcomes.append(err.response["Error"]["Code"])
    assert outcomes[:3] == ["ok"] * 3 and "ThrottlingException" in outcomes[3:]
    sm.list_spaces(DomainIdEquals=world.domain_id)  # another operation has its own bucket
    time.sleep(0.6)  # the bucket refills at 2 per second
    sm.list_apps(DomainIdEquals=world.domain_id)
    assert world.control.rate_limits()["throttled"]["sagemaker:ListApps"] == outcomes.count("ThrottlingException")
    world.rate_limits(False)
    for _ in range(10):
        sm.list_apps(DomainIdEquals=world.domain_id)


async def test_twenty_pollers_under_the_account_limits(world_env, jp_fetch):
    world_env.rate_limits(True)
    await get_cost(jp_fetch)
    for _ in range(3):
        await asyncio.sleep(0.35)
        answers = await asyncio.gather(*(get_cost(jp_fetch, "domain" if i % 2 else "mine") for i in range(20)))
        assert all(a["errors"] == [] and not a["stale"] for a in answers)
    assert world_env.control.rate_limits()["throttled"] == {}


async def test_another_tool_of_the_account_takes_the_tokens(world_env, jp_fetch, jp_serverapp):
    """A script of the same account empties the ListApps bucket just before each refresh: the inventory's own
    call is throttled at the emulator, retried after a pause, and the user sees a clean table."""
    world_env.rate_limits(True, [{"operation": "sagemaker:ListApps", "rate": 3, "burst": 2}])
    sm = world_env.client("sagemaker")

    def other_tool():
        for _ in range(3):
            try:
                sm.list_apps(DomainIdEquals=world_env.domain_id)
            except ClientError:
                pass

    answers = []
    for _ in range(4):
        await asyncio.sleep(0.35)  # the inventory's TTL lapses
        await asyncio.to_thread(other_tool)
        answers.append(await get_cost(jp_fetch))
    throttled = world_env.control.rate_limits()["throttled"]
    assert throttled.get("sagemaker:ListApps", 0) > 0, "the account's limit was never reached"
    for answer in answers:
        assert answer["errors"] == [] and answer["reason"] is None and answer["stale"] is False
        assert "Throttl" not in json.dumps(answer)
        assert {r["kind"] for r in answer["resources"]} >= {"app", "endpoint"}
    service = next(iter(jp_serverapp.extension_manager.extension_apps["studio_collab"])).core.cost
    assert service.paced_aws.throttled_retries >= 1  # throttled at the emulator, then got through
