"""A real ``mlflow server`` (sqlite store, one worker, job execution off) in its own process group.

The scenario's SageMaker tracking server resolves to it: its ``TrackingServerUrl`` (and so the pre-signed UI link)
points here, and ``SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT`` sends the sagemaker-mlflow plugin's ARN-addressed calls here.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .processes import ChildProcess


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class MlflowServer:
    PORT_ATTEMPTS = 5

    def __init__(self, state_dir: Path, port: int | None = None):
        self.state_dir = Path(state_dir)
        self.backend_store_uri = f"sqlite:///{self.state_dir / 'mlflow.db'}"
        self._port_chosen_here = port is None  # then a port taken before the server binds it is retried
        self._configure(port or free_port())

    def _configure(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        mlflow_cli = Path(sys.executable).with_name("mlflow")
        argv = [
            str(mlflow_cli) if mlflow_cli.exists() else "mlflow",
            "server",
            "--backend-store-uri",
            self.backend_store_uri,
            "--artifacts-destination",
            str(self.state_dir / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
        ]
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        self.child = ChildProcess(
            "mlflow server", argv, self.state_dir / "mlflow-server.log", env=env, cwd=self.state_dir
        )

    def start(self, timeout: float = 90.0) -> MlflowServer:
        return self.spawn().wait_ready(timeout)

    def spawn(self) -> MlflowServer:
        """Start the server process without waiting for it (it takes several seconds to import MLflow)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.child.spawn(announce=False)
        return self

    def wait_ready(self, timeout: float = 90.0) -> MlflowServer:
        deadline = time.monotonic() + timeout
        attempts = 1
        while time.monotonic() < deadline:
            if not self.child.running:
                taken = re.search(r"address already in use|connection in use", self.child.tail(200), re.I)
                if taken and self._port_chosen_here and attempts < self.PORT_ATTEMPTS:
                    attempts += 1
                    self.child.log_path.unlink(missing_ok=True)  # the next attempt's log alone
                    self._configure(free_port())  # another process bound the port between our choice and its bind
                    self.spawn()
                    continue
                raise RuntimeError(f"mlflow server exited: {self.child.tail()}")
            if self.healthy():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"mlflow server did not answer /health within {timeout:.0f} s: {self.child.tail()}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                return answer.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        self.child.stop()
