"""Fixtures of the tests that reach MLflow the SageMaker way (a tracking-server or App ARN, the plugin's endpoint
override) through a recording proxy, so a test sees exactly which requests the product made. Imported by name
into each such test module."""

from __future__ import annotations

import pytest

from tests.experiments.mlflow_proxy import RecordingProxy


@pytest.fixture
def proxy(mlflow_world):
    proxy = RecordingProxy(mlflow_world.mlflow_url).start()
    yield proxy
    proxy.stop()


@pytest.fixture(autouse=True)
def _in_studio(mlflow_world, world_env):
    """Every test of the module runs inside the world's Studio space, with its MLflow up."""


@pytest.fixture
def studio_collab_config(proxy):
    return {"mlflow_endpoint_url": proxy.url, "mlflow_timeout_seconds": 5.0}
