"""The Studio context reader on missing, partial and malformed metadata."""

from __future__ import annotations

import json

from studio_collab.studio.context import read_studio_context


def write(tmp_path, content: str):
    path = tmp_path / "meta.json"
    path.write_text(content)
    return path


def test_missing_file(tmp_path):
    ctx = read_studio_context(tmp_path / "nope.json", env={})
    assert ctx.in_studio is False
    assert "No Studio resource metadata" in ctx.reason


def test_malformed_json(tmp_path):
    ctx = read_studio_context(write(tmp_path, "{not json"), env={"AWS_REGION": "eu-west-1"})
    assert ctx.in_studio is False
    assert "not valid JSON" in ctx.reason
    assert ctx.region == "eu-west-1"


def test_not_an_object(tmp_path):
    ctx = read_studio_context(write(tmp_path, "[1, 2]"), env={})
    assert ctx.in_studio is False
    assert "JSON object" in ctx.reason


def test_partial_metadata_names_the_missing_fields(tmp_path):
    ctx = read_studio_context(write(tmp_path, json.dumps({"SpaceName": "s"})), env={})
    assert ctx.in_studio is False
    assert "DomainId" in ctx.reason and "ResourceArn" in ctx.reason
    assert ctx.space_name == "s"


def test_full_metadata_region_and_account_from_arn(tmp_path):
    meta = {
        "DomainId": "d-1",
        "SpaceName": "team",
        "AppType": "JupyterLab",
        "ResourceName": "default",
        "ResourceArn": "arn:aws:sagemaker:eu-central-1:111122223333:app/d-1/team/JupyterLab/default",
    }
    ctx = read_studio_context(write(tmp_path, json.dumps(meta)), env={"SAGEMAKER_SPACE_TYPE_LOWERCASE": "shared"})
    assert ctx.in_studio is True and ctx.reason is None
    assert (ctx.region, ctx.account_id, ctx.space_type) == ("eu-central-1", "111122223333", "shared")


def test_env_region_wins_and_odd_space_type_is_ignored(tmp_path):
    meta = {"DomainId": "d-1", "ResourceArn": "arn:aws:sagemaker:eu-central-1:1:app/x"}
    ctx = read_studio_context(
        write(tmp_path, json.dumps(meta)), env={"AWS_REGION": "us-west-2", "SAGEMAKER_SPACE_TYPE_LOWERCASE": "weird"}
    )
    assert ctx.region == "us-west-2" and ctx.space_type is None


def test_non_string_fields_are_ignored(tmp_path):
    ctx = read_studio_context(write(tmp_path, json.dumps({"DomainId": 5, "ResourceArn": None})), env={})
    assert ctx.in_studio is False and ctx.domain_id is None
