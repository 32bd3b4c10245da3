"""Who may stop what from the cost table (issue #15): kind × owner × the admin's cost_stop_kinds, on the world.
Each refusal answers 403 saying who may stop it, and the emulator's journal shows no stop call."""

from __future__ import annotations

import pytest

from tests.identity.conftest import call

pytestmark = pytest.mark.world

ALL_KINDS = ["app", "notebook_instance", "mlflow_tracking_server", "mlflow_app"]
STOP_CALLS = ("sagemaker:DeleteApp", "sagemaker:StopNotebookInstance", "sagemaker:StopMlflowTrackingServer")


@pytest.fixture
def studio_collab_config(request):
    marker = request.node.get_closest_marker("stop_kinds")
    return {"cost_cache_ttl_seconds": 0, **({"cost_stop_kinds": marker.args[0]} if marker else {})}


def tag_creator(world, notebook_instance: str, profile_arn: str) -> None:
    sm = world.client("sagemaker")
    arn = sm.describe_notebook_instance(NotebookInstanceName=notebook_instance)["NotebookInstanceArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "sagemaker:user-profile-arn", "Value": profile_arn}])


def profile_arn(world, name: str) -> str:
    return world.client("sagemaker").describe_user_profile(DomainId=world.domain_id, UserProfileName=name)[
        "UserProfileArn"
    ]


def stops(world) -> dict:
    return {op: n for op, n in world.calls().items() if op in STOP_CALLS}


async def stop(jp_fetch, world, user, kind: str, name: str) -> tuple[int, dict]:
    world.clear_calls()
    return await call(jp_fetch, "POST", "cost/stop", user, body={"kind": kind, "name": name})


def refused(world, answer: tuple[int, dict], code: str, *named: str) -> None:
    status, body = answer
    assert (status, body.get("code")) == (403, code), answer
    for text in named:
        assert text in body["message"], body
    assert stops(world) == {}, "a refused stop reached AWS"


# --- private space (alice-space): the viewer is its owner; a cookie names nobody there -------------------------
@pytest.mark.parametrize("cookie", ["alice", "bob"])
async def test_private_space_apps_the_owner_owns_and_no_others(world_env, jp_fetch, cookie):
    refused(
        world_env, await stop(jp_fetch, world_env, cookie, "app", "bob-space/JupyterLab/default"), "not_owner", "bob"
    )
    status, body = await stop(jp_fetch, world_env, cookie, "app", "team-space/JupyterLab/default")  # alice owns it
    assert status == 200 and body["requested_by"] == "alice", body
    assert stops(world_env) == {"sagemaker:DeleteApp": 1}


@pytest.mark.stop_kinds([])
async def test_no_kind_enabled_refuses_even_ones_own_app(world_env, jp_fetch):
    refused(
        world_env,
        await stop(jp_fetch, world_env, "alice", "app", "alice-space/JupyterLab/default"),
        "stop_not_allowed",
        "cost_stop_kinds",
    )


async def test_by_default_notebook_instances_and_tracking_servers_are_the_admins(world_env, jp_fetch):
    tag_creator(world_env, "legacy-analysis", profile_arn(world_env, "alice"))  # even one alice made
    refused(
        world_env,
        await stop(jp_fetch, world_env, "alice", "notebook_instance", "legacy-analysis"),
        "stop_not_allowed",
        "notebook_instance",
        "SageMaker console",
    )
    refused(
        world_env,
        await stop(jp_fetch, world_env, "alice", "mlflow_tracking_server", "team-mlflow"),
        "stop_not_allowed",
        "mlflow_tracking_server",
    )
    assert (
        world_env.client("sagemaker").describe_notebook_instance(NotebookInstanceName="legacy-analysis")[
            "NotebookInstanceStatus"
        ]
        == "InService"
    )


@pytest.mark.stop_kinds(ALL_KINDS)
@pytest.mark.parametrize(
    "creator,allowed",
    [
        (None, False),  # an account resource nobody here is known to own (the case)
        ("bob", False),
        ("alice", True),
        ("alice-in-another-domain", False),
    ],
)
async def test_an_enabled_notebook_instance_only_when_tagged_as_the_viewers(world_env, jp_fetch, creator, allowed):
    if creator == "alice-in-another-domain":
        tag_creator(
            world_env, "legacy-analysis", profile_arn(world_env, "alice").replace(world_env.domain_id, "d-otherdomain")
        )
    elif creator:
        tag_creator(world_env, "legacy-analysis", profile_arn(world_env, creator))
    answer = await stop(jp_fetch, world_env, "alice", "notebook_instance", "legacy-analysis")
    if allowed:
        assert answer[0] == 200 and answer[1]["action"] == "StopNotebookInstance", answer
        assert stops(world_env) == {"sagemaker:StopNotebookInstance": 1}
    else:
        refused(world_env, answer, "not_owner", "legacy-analysis", "SageMaker console")
        if creator == "bob":
            assert profile_arn(world_env, "bob") in answer[1]["message"]


@pytest.mark.stop_kinds(ALL_KINDS)
async def test_an_enabled_tracking_server_nobody_here_created_may_be_stopped(world_env, jp_fetch):
    status, body = await stop(jp_fetch, world_env, "alice", "mlflow_tracking_server", "team-mlflow")
    assert status == 200 and body["action"] == "StopMlflowTrackingServer", body


# --- shared space (team-space, owned by alice): the member named by Studio's cookie ---------------------------
@pytest.mark.world_space("team-space")
async def test_shared_space_member_stops_this_spaces_app_and_their_own_only(world_env, jp_fetch):
    refused(
        world_env, await stop(jp_fetch, world_env, "bob", "app", "alice-space/JupyterLab/default"), "not_owner", "alice"
    )
    refused(
        world_env, await stop(jp_fetch, world_env, "User", "app", "bob-space/JupyterLab/default"), "identity_unknown"
    )
    status, body = await stop(jp_fetch, world_env, "bob", "app", "bob-space/JupyterLab/default")
    assert (status, body["requested_by"]) == (200, "bob"), body
    status, body = await stop(jp_fetch, world_env, "carol", "app", "team-space/JupyterLab/default")
    assert (status, body["requested_by"]) == (200, "carol"), body  # the shared space she works in
