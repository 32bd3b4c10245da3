"""Every route maps to the expected action and `studio_collab:<feature>` resource (pytest-jupyter's authorizer)."""

from __future__ import annotations

import json
import re

import pytest
from tornado.httpclient import HTTPClientError

from studio_collab.app import StudioCollabApp
from studio_collab.openapi import openapi_document

# The resource each family of routes must ask the authorizer for.
EXPECTED_RESOURCES = {
    r"/studio-collab/(status|openapi\.json)": "studio_collab:status",
    r"/studio-collab/jobs/.*": "studio_collab:jobs",
    r"/studio-collab/(repos|open)(/.*)?": "studio_collab:git",
    r"/studio-collab/(spaces|shares|import)(/.*)?": "studio_collab:share",
    r"/studio-collab/experiments(/.*)?": "studio_collab:experiments",
    r"/studio-collab/(cost|idle|domain)(/.*)?": "studio_collab:cost",
    r"/studio-collab/.*": "studio_collab:status",
}
ALL_RESOURCES = sorted(set(EXPECTED_RESOURCES.values()))
SAMPLE_VALUES = {
    "job_id": "0123456789abcdef",
    "share_id": "AAAAAAAAAAAAAAAAAAAAAA",
    "repo_id": "r-0000000000",
    "source": "mlflow",
    "experiment_id": "0",
    "run_id": "0",
}


def documented_operations() -> list[tuple[str, str]]:
    modules = tuple(f"studio_collab.{n}" for n in StudioCollabApp.present_features())
    document = openapi_document(modules)
    operations = []
    for template, item in document["paths"].items():
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE_VALUES.get(m.group(1), "x"), template)
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item and not path.endswith("/events"):
                operations.append((method.upper(), path))
    return operations


@pytest.fixture
def jp_server_auth_resources(jp_server_auth_core_resources):
    return {**jp_server_auth_core_resources, **EXPECTED_RESOURCES}


@pytest.fixture
def jp_server_config(jp_server_config, jp_server_authorizer):
    return {
        **jp_server_config,
        "ServerApp": {**jp_server_config["ServerApp"], "authorizer_class": jp_server_authorizer},
    }


async def _fetch(jp_fetch, method: str, path: str):
    body = "{}" if method in ("POST", "PUT", "PATCH") else None
    try:
        return await jp_fetch(
            "studio-collab", *path.strip("/").split("/"), method=method, body=body, allow_nonstandard_methods=True
        )
    except HTTPClientError as err:
        return err.response


@pytest.mark.parametrize("method,path", documented_operations())
async def test_route_asks_for_its_feature_resource(outside_studio, jp_fetch, jp_server_authorizer, method, path):
    # The test authorizer raises (-> 500) when the action or resource differs from the expected mapping.
    jp_server_authorizer.permissions = {"actions": ["read", "write", "execute"], "resources": ALL_RESOURCES}
    response = await _fetch(jp_fetch, method, path)
    assert response.code != 500 or json.loads(response.body)["code"] != "internal_error", (method, path)
    jp_server_authorizer.permissions = {"actions": ["read", "write", "execute"], "resources": []}
    denied = await _fetch(jp_fetch, method, path)
    assert denied.code == 403, (method, path, denied.code)
    assert json.loads(denied.body)["code"] == "forbidden"


async def test_denying_git_blocks_clone_but_not_status(outside_studio, jp_fetch, jp_server_authorizer):
    jp_server_authorizer.permissions = {
        "actions": ["read", "write"],
        "resources": [r for r in ALL_RESOURCES if r != "studio_collab:git"],
    }
    assert (await _fetch(jp_fetch, "GET", "/status")).code == 200
    if "git" not in StudioCollabApp.present_features():
        pytest.skip("the git feature is not in this build")
    assert (await _fetch(jp_fetch, "POST", f"/repos/{SAMPLE_VALUES['repo_id']}/clone")).code == 403
    assert (await _fetch(jp_fetch, "GET", "/repos")).code == 403
