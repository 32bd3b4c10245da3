"""A deny-all authorizer still refuses every route in a shared space, for named members and unknown viewers
alike, with the authorizer's own 403 (the identity check never answers first and never lets one through)."""

from __future__ import annotations

import pytest

from tests.identity.conftest import NO_COOKIE, call
from tests.test_authorization import (  # fixtures among them
    ALL_RESOURCES,
    documented_operations,
    jp_server_auth_resources,
    jp_server_config,
)

pytestmark = [pytest.mark.world, pytest.mark.world_space("team-space")]


OPERATIONS = documented_operations()
MUTATING_PREFIXES = ("Create", "Delete", "Stop", "Start", "Put", "Update", "Add", "Copy", "Upload")


@pytest.mark.parametrize("user", ["bob", NO_COOKIE, "User"], ids=["member", "no-cookie", "User"])
async def test_deny_all_refuses_every_route(world_env, jp_fetch, jp_server_authorizer, user):
    jp_server_authorizer.permissions = {"actions": ["read", "write", "execute"], "resources": []}
    world_env.clear_calls()
    for method, path in OPERATIONS:
        code, body = await call(jp_fetch, method, path.strip("/"), user)
        assert (code, body.get("code")) == (403, "forbidden"), (method, path, code, body)
    # (the server's own start-up reads, the catalog and idle settings, may run meanwhile: they change nothing)
    changed = [op for op in world_env.calls() if op.split(":", 1)[1].startswith(MUTATING_PREFIXES)]
    assert changed == [], "a refused request changed something in AWS"


async def test_allowed_member_acts_and_allowed_unknown_viewer_does_not(world_env, jp_fetch, jp_server_authorizer):
    jp_server_authorizer.permissions = {"actions": ["read", "write", "execute"], "resources": ALL_RESOURCES}
    code, body = await call(jp_fetch, "POST", "idle/keep-alive", "bob")
    assert code == 200, body
    code, body = await call(jp_fetch, "POST", "idle/keep-alive", NO_COOKIE)
    assert (code, body["code"]) == (403, "identity_unknown")
