"""Shared fixtures: a Jupyter server with studio-collab (pytest-jupyter) and its Studio context."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ("pytest_jupyter.jupyter_server", "tests.world")

FIXTURES = Path(__file__).parent / "fixtures"


def write_metadata(path: Path, **overrides) -> Path:
    """A resource-metadata.json as Studio writes it into a JupyterLab app."""
    meta = {
        "AppType": "JupyterLab",
        "DomainId": "d-demo",
        "UserProfileName": "alice",
        "ResourceArn": "arn:aws:sagemaker:us-east-1:123456789012:app/d-demo/alice-space/JupyterLab/default",
        "ResourceName": "default",
        "SpaceName": "alice-space",
        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/SageMakerExecution",
    }
    meta.update(overrides)
    path.write_text(json.dumps({k: v for k, v in meta.items() if v is not None}))
    return path


@pytest.fixture
def studio_metadata(tmp_path, monkeypatch):
    """This test's server runs in a Studio private space (request it before jp_fetch)."""
    path = write_metadata(tmp_path / "resource-metadata.json")
    monkeypatch.setenv("STUDIO_COLLAB_RESOURCE_METADATA", str(path))
    monkeypatch.setenv("SAGEMAKER_SPACE_TYPE_LOWERCASE", "private")
    return path


@pytest.fixture
def outside_studio(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_COLLAB_RESOURCE_METADATA", str(tmp_path / "absent.json"))


@pytest.fixture
def studio_collab_config() -> dict:
    """Extra StudioCollabApp config for a test; override in a module to change it."""
    return {}


@pytest.fixture
def jp_server_config(studio_collab_config):
    return {
        "ServerApp": {
            "jpserver_extensions": {"studio_collab": True},
            "allow_unauthenticated_access": False,
        },
        "StudioCollabApp": {
            "aws_max_attempts": 1,
            "aws_connect_timeout": 1.0,
            "aws_read_timeout": 2.0,
            **studio_collab_config,
        },
    }


@pytest.fixture
def openapi_validator():
    """Validates a response body against the served OpenAPI document."""
    from tests.openapi_check import ResponseValidator

    return ResponseValidator()
