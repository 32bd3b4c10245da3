"""Which idle policy applies: space, then user profile, then domain, as Studio resolves it."""

from __future__ import annotations

import asyncio

import pytest

from studio_collab.cost.idle import IdleWatch
from studio_collab.studio.context import StudioContext


def idle_settings(**settings) -> dict:
    return {"JupyterLabAppSettings": {"AppLifecycleManagement": {"IdleSettings": settings}}}


class StudioDescriptions:
    """The three descriptions StudioService would return (the AWS side is not what is tested here)."""

    def __init__(self, space: dict, profile: dict, domain: dict):
        self.space, self.profile, self.domain = space, profile, domain

    async def describe_space(self, name=None):
        return self.space

    async def describe_user_profile(self, name):
        assert name == "alice"
        return self.profile

    async def describe_domain(self):
        return self.domain


def policy(space=None, profile=None, domain=None, shared=False, own=0.0):
    space_doc = {
        "SpaceSettings": space or {},
        "OwnershipSettings": {"OwnerUserProfileName": "alice"},
        "SpaceSharingSettings": {"SharingType": "Shared" if shared else "Private"},
    }
    domain_doc = {"DefaultSpaceSettings" if shared else "DefaultUserSettings": domain or {}}
    context = StudioContext(True, domain_id="d-x", space_name="s", app_type="JupyterLab", app_name="default")
    watch = IdleWatch(
        lambda: None,
        lambda: None,
        context,
        StudioDescriptions(space_doc, {"UserSettings": profile or {}}, domain_doc),
        aws=None,
        shutdown_minutes=own,
    )
    return asyncio.run(watch.policies())[0]


def test_domain_default():
    assert policy(domain=idle_settings(LifecycleManagement="ENABLED", IdleTimeoutInMinutes=60)) == [
        {"source": "domain", "timeout_minutes": 60}
    ]


def test_space_choice_wins_within_an_enabled_policy():
    assert policy(
        space=idle_settings(IdleTimeoutInMinutes=240),
        profile=idle_settings(LifecycleManagement="ENABLED", IdleTimeoutInMinutes=120),
        domain=idle_settings(LifecycleManagement="ENABLED", IdleTimeoutInMinutes=60),
    ) == [{"source": "space", "timeout_minutes": 240}]


def test_profile_switch_overrides_the_domain():
    assert (
        policy(
            profile=idle_settings(LifecycleManagement="DISABLED"),
            domain=idle_settings(LifecycleManagement="ENABLED", IdleTimeoutInMinutes=60),
        )
        == []
    )
    assert policy(
        profile=idle_settings(LifecycleManagement="ENABLED", IdleTimeoutInMinutes=90),
        domain=idle_settings(LifecycleManagement="DISABLED"),
    ) == [{"source": "user_profile", "timeout_minutes": 90}]


def test_no_switch_means_no_aws_shutdown_even_with_a_timeout():
    assert policy(space=idle_settings(IdleTimeoutInMinutes=240)) == []


def test_shared_space_takes_the_domain_space_defaults_not_the_owner_profile():
    assert policy(
        profile=idle_settings(LifecycleManagement="ENABLED", IdleTimeoutInMinutes=90),
        domain=idle_settings(LifecycleManagement="ENABLED", IdleTimeoutInMinutes=180),
        shared=True,
    ) == [{"source": "domain", "timeout_minutes": 180}]


@pytest.mark.parametrize("own", [15.0])
def test_own_shutdown_is_listed_beside_aws(own):
    found = policy(domain=idle_settings(LifecycleManagement="ENABLED", IdleTimeoutInMinutes=60), own=own)
    assert found == [{"source": "studio_collab", "timeout_minutes": 15.0}, {"source": "domain", "timeout_minutes": 60}]
