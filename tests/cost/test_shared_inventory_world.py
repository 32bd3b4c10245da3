"""One domain inventory shared by every space (row C8), with real servers: one `jupyter server` process per
space of the demo domain, all on the world's emulator and one share store (the shared folder or the S3 bucket).
The emulator's call counts are the independent truth of how many AWS rounds were made."""

from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path

import pytest
import requests

from tests.servers import start_lab

pytestmark = pytest.mark.world

TTL = 1.0
SPACES = ("alice-space", "bob-space", "team-space")
# "mine" needs a named viewer: the owner in a private space. team-space is shared and these requests carry no
# Studio user profile, so there it is refused (identity_unknown) and its pollers read the domain's table.
PRIVATE = ("alice-space", "bob-space")


def start_space_server(world, tmp_path: Path, space: str, store_args: list[str]):
    metadata = world.write_resource_metadata(tmp_path / f"{space}-metadata.json", space)
    sharing = world.scenario.space(space)["sharing"].lower()
    env = {
        "AWS_ENDPOINT_URL": world.emulator_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": world.region,
        "AWS_DEFAULT_REGION": world.region,
        "STUDIO_COLLAB_RESOURCE_METADATA": str(metadata),
        "SAGEMAKER_SPACE_TYPE_LOWERCASE": sharing,
    }
    return start_lab(
        tmp_path / f"{space}-root",
        env=env,
        command="server",
        args=[
            f"--StudioCollabApp.cost_cache_ttl_seconds={TTL}",
            "--StudioCollabApp.aws_max_attempts=1",
            f"--SQLiteYStore.db_path={tmp_path / f'{space}-ystore.db'}",
            *store_args,
        ],
    )


@pytest.fixture
def share_folder(tmp_path) -> Path:
    folder = tmp_path / "efs" / "studio-collab"
    folder.mkdir(parents=True)
    return folder


def servers_for(world, tmp_path, store_args):
    with concurrent.futures.ThreadPoolExecutor(len(SPACES)) as pool:
        futures = {space: pool.submit(start_space_server, world, tmp_path, space, store_args) for space in SPACES}
        servers = {}
        try:
            for space, future in futures.items():
                servers[space] = future.result()
        except BaseException:
            for started in servers.values():
                started.stop()
            raise
    return servers


@pytest.fixture
def folder_servers(world, tmp_path, share_folder):
    servers = servers_for(world, tmp_path, [f"--StudioCollabApp.share_folder={share_folder}"])
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def s3_servers(world, tmp_path):
    bucket = world.scenario.section("s3_buckets")[0]
    servers = servers_for(
        world, tmp_path, ["--StudioCollabApp.share_store=s3", f"--StudioCollabApp.share_s3_bucket={bucket}"]
    )
    yield servers
    for server in servers.values():
        server.stop()


def cost(server, scope: str = "domain") -> dict:
    answer = requests.get(server.api("cost"), params={"scope": scope}, headers=server.headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def poll_all(servers: dict, seconds: float, per_server: int = 3) -> list[tuple[str, dict]]:
    """Every server's panel(s) polling GET cost every 0.2 s, concurrently, for ``seconds``."""
    answers: list[tuple[str, dict]] = []
    deadline = time.monotonic() + seconds
    with concurrent.futures.ThreadPoolExecutor(len(servers) * per_server) as pool:
        while time.monotonic() < deadline:
            futures = [
                (space, pool.submit(cost, server, "domain" if i % 2 or space not in PRIVATE else "mine"))
                for space, server in servers.items()
                for i in range(per_server)
            ]
            answers += [(space, future.result()) for space, future in futures]
            time.sleep(0.2)
    return answers


def rounds(world) -> int:
    """AWS inventory rounds made, whoever made them: each round lists the domain's apps once."""
    return world.calls().get("sagemaker:ListApps", 0)


def test_one_refresh_per_ttl_and_each_space_filters_its_own(world, folder_servers, share_folder):
    for server in folder_servers.values():
        cost(server)  # warm: the first rounds
    time.sleep(TTL)
    world.clear_calls()
    started = time.monotonic()
    answers = poll_all(folder_servers, 4 * TTL)
    elapsed = time.monotonic() - started
    made = rounds(world)
    # At most one round per TTL window for three servers (and nine pollers) together, however they interleave.
    assert 1 <= made <= int(elapsed / TTL) + 1, (made, elapsed)
    assert all(a["inventory"]["shared"] for _, a in answers)
    assert {a["inventory"]["refreshed_by"] for _, a in answers} <= set(SPACES)
    assert all(a["errors"] == [] for _, a in answers)
    assert (share_folder / "inventory").is_dir() and not list((share_folder / "inventory").glob("*.lease"))

    # Each space filters the one snapshot for its own viewer, and marks its own app.
    answers = {space: cost(server, "mine") for space, server in folder_servers.items() if space in PRIVATE}
    unnamed = requests.get(
        folder_servers["team-space"].api("cost"),
        params={"scope": "mine"},
        headers=folder_servers["team-space"].headers,
        timeout=30,
    )
    assert (unnamed.status_code, unnamed.json()["code"]) == (403, "identity_unknown")
    alice = {r["name"] for r in answers["alice-space"]["resources"]}
    bob = {r["name"] for r in answers["bob-space"]["resources"]}
    assert answers["alice-space"]["viewer"] == "alice" and answers["bob-space"]["viewer"] == "bob"
    assert alice == {"alice-space/JupyterLab/default", "team-space/JupyterLab/default", "nightly-churn-report"}
    assert bob == {"bob-space/JupyterLab/default", "churn-model-canary", "bob-sandbox"}
    # One snapshot, whoever refreshed it: each server marks its own app.
    for space, server in folder_servers.items():
        rows = {r["name"]: r for r in cost(server)["resources"]}
        assert [name for name, r in rows.items() if r.get("this_app")] == [f"{space}/JupyterLab/default"]


def test_store_down_falls_back_to_own_inventory(world, folder_servers, share_folder):
    for server in folder_servers.values():
        cost(server)
    # The EFS mount went away under the servers: what is left is no folder at all.
    (share_folder / "inventory").rename(share_folder.parent / "moved-away")
    share_folder.rename(share_folder.parent / "unmounted")
    time.sleep(TTL)
    world.clear_calls()
    answers = {space: cost(server) for space, server in folder_servers.items()}
    for space, answer in answers.items():
        assert answer["inventory"]["shared"] is False and answer["inventory"]["refreshed_by"] == space
        assert "cannot be reached" in answer["inventory"]["reason"]
        assert answer["errors"] == [] and answer["resources"]
    assert rounds(world) == len(SPACES)  # each read AWS itself


def test_s3_store_one_refresh_per_ttl(world, s3_servers):
    for server in s3_servers.values():
        cost(server)
    time.sleep(TTL)
    world.clear_calls()
    started = time.monotonic()
    answers = poll_all(s3_servers, 3 * TTL, per_server=2)
    elapsed = time.monotonic() - started
    made = rounds(world)
    assert 1 <= made <= int(elapsed / TTL) + 1, (made, elapsed)
    assert all(a["inventory"]["shared"] for _, a in answers)
    calls = world.calls()
    # The lease is a conditional PutObject; the snapshot one GetObject per server per TTL.
    assert calls.get("s3:PutObject", 0) >= 2 * made
    bucket = world.scenario.section("s3_buckets")[0]
    keys = [o["Key"] for o in world.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert any(k.endswith(".json") and "/inventory/" in k for k in keys)
