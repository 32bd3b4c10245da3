"""Whether sharing can work here, as GET status reports it, and what the share routes say when it cannot."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

from tests.share.conftest import fetch_json, make_notebook


@pytest.fixture
def no_aws(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


async def share_feature(jp_fetch) -> dict:
    return (await fetch_json(jp_fetch, "status"))[1]["features"]["share"]


async def test_outside_studio_a_local_folder_works(outside_studio, jp_fetch, share_folder):
    assert await share_feature(jp_fetch) == {"available": True, "reason": None}
    assert not share_folder.exists(), "a GET creates nothing; the first share makes the folder"


@pytest.mark.parametrize("studio_collab_config", [{}])
async def test_in_studio_the_home_folder_reaches_no_other_space(no_aws, studio_metadata, jp_fetch, jp_root_dir):
    feature = await share_feature(jp_fetch)
    assert feature["available"] is False and "share_folder" in feature["reason"]
    make_notebook(jp_root_dir / "train.ipynb")
    with pytest.raises(HTTPClientError) as err:
        await fetch_json(jp_fetch, "shares", method="POST", body={"path": "train.ipynb", "target_space": "x"})
    body = json.loads(err.value.response.body)
    assert (err.value.code, body["code"]) == (503, "share_unavailable")
    assert body["message"] == feature["reason"]


@pytest.mark.parametrize("studio_collab_config", [{"share_store": "s3"}])
async def test_s3_without_a_bucket_says_so(outside_studio, jp_fetch):
    feature = await share_feature(jp_fetch)
    assert feature["available"] is False and "share_s3_bucket" in feature["reason"]
    with pytest.raises(HTTPClientError) as err:
        await fetch_json(jp_fetch, "shares")
    assert err.value.code == 503


@pytest.mark.parametrize("studio_collab_config", [{"share_store": "s3", "share_s3_bucket": "no-such-bucket"}])
async def test_an_unreachable_bucket_is_reported_not_raised(world_env, jp_fetch):
    feature = await share_feature(jp_fetch)
    assert feature["available"] is False
    assert "s3:HeadBucket" in feature["reason"]


async def test_a_folder_that_cannot_be_made_is_reported(outside_studio, tmp_path, jp_fetch, share_service):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the share folder should be")
    share_service.store.folder = blocker / "shares"
    share_service.cache.invalidate()
    feature = await share_feature(jp_fetch)
    assert feature["available"] is False and "is not a folder" in feature["reason"]
