"""Real Jupyter servers in their own process groups, for browser and multi-server tests."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    root_dir: Path
    port: int
    token: str
    base_url: str
    process: subprocess.Popen
    log_path: Path
    extra: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base_url.rstrip('/')}/"  # Studio passes it without the slash

    def api(self, path: str) -> str:
        return f"{self.url}studio-collab/{path}"

    @property
    def headers(self) -> dict:
        return {"Authorization": f"token {self.token}"}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=5)


REPO = Path(__file__).resolve().parents[1]


def own_labextension(parent: Path) -> Path:
    """A labextensions folder holding this checkout's built panel, searched before the environment's: the lab
    then runs the panel of the code under test, not whatever build the venv's share/jupyter links to."""
    folder = parent / "labextensions"
    link = folder / "studio-collab"
    if not link.exists():
        folder.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO / "studio_collab" / "labextension", target_is_directory=True)
    return folder


def start_lab(
    root_dir: Path,
    *,
    env: dict | None = None,
    args: list[str] | None = None,
    base_url: str = "/",
    command: str = "lab",
    token: str | None = None,
    timeout: float = 90.0,
    python: str | None = None,
    poll_interval: float = 0.3,
) -> LabServer:
    """Start `jupyter lab` (or `server`) on a free loopback port and wait until it answers.

    ``python``: another environment's interpreter (e.g. a venv standing in for a Studio image).
    ``poll_interval``: how often readiness is asked; the start-up benchmark asks often, so that its figure is
    not rounded to this interval."""
    root_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16) if token is None else token
    # Jupyter itself picks a port by binding, closing and binding again, so port 0 races as a chosen port does:
    # a port taken in between is retried with another one.
    for attempt in range(PORT_ATTEMPTS):
        server = _launch(root_dir, free_port(), token, env, args, base_url, command, python)
        try:
            return _wait_ready(server, command, timeout, poll_interval)
        except PortTaken:
            if attempt == PORT_ATTEMPTS - 1:
                raise RuntimeError(
                    f"jupyter {command}: {PORT_ATTEMPTS} ports in a row were taken:\n{server.log()[-3000:]}"
                ) from None


PORT_ATTEMPTS = 5


class PortTaken(Exception):
    """The server exited because another process bound its port between our choice and its bind."""


def _launch(
    root_dir: Path,
    port: int,
    token: str,
    env: dict | None,
    args: list[str] | None,
    base_url: str,
    command: str,
    python: str | None,
) -> LabServer:
    log_path = root_dir.parent / f"jupyter-{port}.log"
    argv = [
        python or sys.executable,
        "-m",
        "jupyter",
        command,
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--ServerApp.root_dir={root_dir}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.base_url={base_url}",
        "--ServerApp.port_retries=0",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        *(args or []),
    ]
    if command == "lab" and not any(a.startswith("--LabApp.expose_app_in_browser") for a in args or []):
        # as Studio does; UI tests await `app.restored`. Never twice: traitlets reads a repeated flag as False.
        argv.append("--LabApp.expose_app_in_browser=True")
    if command == "lab" and python is None:
        argv.append(f"--LabApp.extra_labextensions_path={own_labextension(root_dir.parent)}")
    process_env = {**os.environ, **(env or {})}
    process_env.setdefault("JUPYTER_CONFIG_DIR", str(root_dir.parent / f"jupyter-config-{port}"))
    with open(log_path, "wb") as log:
        # cwd: jupyter-collaboration writes its .jupyter_ystore.db into the working directory.
        process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env=process_env, cwd=root_dir.parent, start_new_session=True
        )
    return LabServer(root_dir, port, token, base_url, process, log_path)


def _wait_ready(server: LabServer, command: str, timeout: float, poll_interval: float) -> LabServer:
    process = server.process
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            if "is already in use" in server.log():
                raise PortTaken(server.port)
            raise RuntimeError(f"jupyter {command} exited early:\n{server.log()[-3000:]}")
        try:
            if requests.get(f"{server.url}api/status", headers=server.headers, timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(poll_interval)
    server.stop()
    raise RuntimeError(f"jupyter {command} did not start in {timeout}s:\n{server.log()[-3000:]}")
