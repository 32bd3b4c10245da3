"""The ShareStore contract, run against both stores: a folder, and S3 through the local world's emulator."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from studio_collab.errors import StudioCollabError
from studio_collab.share.manifest import ShareManifest, new_share_id
from studio_collab.share.store import FolderShareStore, S3ShareStore
from studio_collab.studio.aws import AwsClients, AwsSettings


@pytest.fixture(params=["folder", "s3"])
def store(request, tmp_path):
    if request.param == "folder":
        yield FolderShareStore(tmp_path / "store")
        return
    world = request.getfixturevalue("world_env")
    aws = AwsClients(AwsSettings(region=world.region, endpoint_url=world.emulator_url, max_attempts=1))
    bucket = world.scenario.section("s3_buckets")[0]
    yield S3ShareStore(aws, bucket, f"test-{new_share_id()}/")
    aws.close()


def manifest_for(share_id: str, content: bytes, author: str = "alice") -> ShareManifest:
    return ShareManifest(
        id=share_id,
        title="train.ipynb",
        author=author,
        source_space="alice-space",
        source_path="train.ipynb",
        created="2026-11-26T10:02:00Z",
        expires="2026-12-03T10:02:00Z",
        include_outputs=True,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        target_space="team-space",
        url="https://x.studio.us-east-1.sagemaker.aws/jupyterlab/default/studio-collab/import?share=" + share_id,
    )


async def put(store, content: bytes, author: str = "alice") -> ShareManifest:
    share_id = new_share_id()
    digest = await store.put_content(share_id, io.BytesIO(content), 1 << 30)
    assert (digest.size, digest.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    manifest = manifest_for(share_id, content, author)
    await store.put_manifest(manifest)
    return manifest


async def get(store, share_id: str, tmp_path, max_bytes: int = 1 << 30) -> bytes:
    with open(tmp_path / f"download-{new_share_id()}", "w+b") as target:
        digest = await store.get_content(share_id, target, max_bytes)
        target.seek(0)
        content = target.read()
    assert digest.sha256 == hashlib.sha256(content).hexdigest()
    return content


async def test_round_trip_listing_and_removal(store, tmp_path):
    await store.check()
    content = os.urandom(3000)
    mine = await put(store, content)
    other = await put(store, b"bob's notebook", author="bob")
    assert await store.get_manifest(mine.id) == mine
    assert await get(store, mine.id, tmp_path) == content
    assert await store.author_share_ids("alice") == [mine.id]
    assert await store.author_share_ids("bob") == [other.id]
    assert await store.author_share_ids("carol") == []
    assert sorted(await store.all_share_ids()) == sorted([mine.id, other.id])

    await store.delete_content(mine.id)
    with pytest.raises(StudioCollabError) as err:
        await get(store, mine.id, tmp_path)
    assert (err.value.code, err.value.status) == ("share_gone", 410)
    assert await store.get_manifest(mine.id) == mine, "the manifest stays as a tombstone"

    await store.delete_share(mine.id, "alice")
    assert await store.get_manifest(mine.id) is None
    assert await store.author_share_ids("alice") == []
    assert await store.all_share_ids() == [other.id]


async def test_unknown_share_has_no_manifest(store):
    assert await store.get_manifest(new_share_id()) is None


async def test_large_file_moves_in_parts_with_progress(store, tmp_path):
    content = os.urandom(20 << 20)
    (tmp_path / "big").write_bytes(content)
    moved: list[int] = []
    share_id = new_share_id()
    with open(tmp_path / "big", "rb") as source:
        digest = await store.put_content(share_id, source, 1 << 30, moved.append)
    assert digest.sha256 == hashlib.sha256(content).hexdigest()
    assert sum(moved) == len(content) and len(moved) > 1
    moved.clear()
    with open(tmp_path / "back", "w+b") as target:
        digest = await store.get_content(share_id, target, len(content), moved.append)
    assert sum(moved) == len(content) and len(moved) > 1
    assert digest.sha256 == hashlib.sha256(content).hexdigest()
    assert (tmp_path / "back").read_bytes() == content


@pytest.mark.parametrize("in_memory", [True, False])
async def test_an_upload_past_the_limit_leaves_no_content(store, tmp_path, in_memory):
    share_id = new_share_id()
    (tmp_path / "big").write_bytes(os.urandom(20 << 20))
    with open(tmp_path / "big", "rb") as file:
        source = io.BytesIO(file.read()) if in_memory else file
        with pytest.raises(StudioCollabError) as err:
            await store.put_content(share_id, source, 10 << 20)
    assert (err.value.code, err.value.status) == ("share_too_large", 413)
    with pytest.raises(StudioCollabError) as err:
        await get(store, share_id, tmp_path)
    assert err.value.code == "share_gone"


async def test_a_download_larger_than_the_record_stops(store, tmp_path):
    manifest = await put(store, os.urandom(4 << 20))
    with pytest.raises(StudioCollabError) as err:
        await get(store, manifest.id, tmp_path, max_bytes=manifest.size - 1)
    assert err.value.code == "share_damaged"


async def test_a_manifest_under_another_id_is_refused(store):
    manifest = await put(store, b"abc")
    moved = manifest_for(new_share_id(), b"abc")
    moved_record = ShareManifest(**{**manifest.__dict__, "id": moved.id})
    await store.put_manifest(moved_record)  # stored under the new id, but saying the same
    assert await store.get_manifest(moved.id) == moved_record
    if isinstance(store, FolderShareStore):
        (store.folder / "shares" / moved.id / "manifest.json").write_text(
            (store.folder / "shares" / manifest.id / "manifest.json").read_text()
        )
    else:
        body = store.aws.client("s3").get_object(Bucket=store.bucket, Key=store._key(manifest.id, "manifest.json"))
        store.aws.client("s3").put_object(
            Bucket=store.bucket, Key=store._key(moved.id, "manifest.json"), Body=body["Body"].read()
        )
    with pytest.raises(StudioCollabError) as err:
        await store.get_manifest(moved.id)
    assert (err.value.code, err.value.status) == ("share_damaged", 409)
