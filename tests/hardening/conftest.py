"""A live `jupyter server` with studio-collab on the local Studio world, for fuzz and load."""

from __future__ import annotations

import pytest

from tests.servers import start_lab


@pytest.fixture
def world_server(world_env, mlflow_world, tmp_path):
    """With the world's MLflow up, so the experiment routes answer for real, not "not configured"."""
    server = start_lab(
        tmp_path / "root",
        command="server",
        args=[
            f"--StudioCollabApp.share_folder={tmp_path / 'shares'}",
            "--StudioCollabApp.aws_max_attempts=1",
        ],
    )
    yield server
    server.stop()
