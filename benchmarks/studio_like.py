"""The Studio-like context every benchmark runs in: what a Studio user's server is, on this machine.

- the local Studio world (`demo` scenario; `large` for the full run's cost rows) in its own processes: AWS emulator with AWS's per-call latency
  (`aws` profile, docs/aws-latency.md), HTTPS git server, MLflow when asked for;
- `jupyter lab` (not `jupyter server`) at Studio's base URL `/jupyterlab/default` with Studio's flags, beside
  the extensions this environment has of Studio's set (jupyter-collaboration, nbdime, jupyter-lsp), started
  inside a space: Studio's resource metadata, `SAGEMAKER_SPACE_TYPE_LOWERCASE`, the world's AWS endpoint and
  dummy credentials, the git server's CA;
- the host's own AWS configuration removed first (`AWS_*`, `MLFLOW_TRACKING_URI`): nothing reaches real AWS;
- the same server with studio-collab disabled is the baseline (`with_product=False`).

Every benchmark asks the product through its HTTP routes on such a server (`StudioLike.lab(...)`). One world
serves every benchmark of a process (`python -m benchmarks` starts it once; MLflow joins it when first asked for);
each benchmark gets its own folders and servers.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.servers import LabServer, start_lab

STUDIO_BASE_URL = "/jupyterlab/default"
PRODUCT_OFF = "--ServerApp.jpserver_extensions=studio_collab=False"
LATENCY_PROFILE = os.environ.get("STUDIO_WORLD_AWS_LATENCY") or "aws"
_HOST_VARIABLES = ("AWS_", "MLFLOW_TRACKING_URI", "SAGEMAKER_")
_SHARED: dict = {}  # (scenario, aws_latency) -> the LocalWorld every benchmark of this process uses


def studio_args(*extra: str) -> list[str]:
    """Studio's own flags beside the base URL (studio-facts §1.6)."""
    return ["--ServerApp.allow_origin=*", "--LabApp.expose_app_in_browser=True", *extra]


def clear_host_aws() -> None:
    """The host's AWS and MLflow settings out of this process (and so out of every server it starts): with
    AWS_REGION set on the host, a 'baseline' would otherwise call real AWS."""
    for name in list(os.environ):
        if name.startswith(_HOST_VARIABLES):
            del os.environ[name]


@dataclass
class StudioLike:
    workdir: Path
    world: object  # studio_world.local_world.LocalWorld
    env: dict

    @classmethod
    def start(
        cls,
        workdir: Path,
        *,
        with_mlflow: bool = False,
        space: str | None = None,
        aws_latency: str = LATENCY_PROFILE,
        scenario: str = "demo",
    ) -> StudioLike:
        """``scenario``: the domain the world holds (``demo``; ``large`` for the cost inventory's full size), one
        world per scenario and latency profile in a process."""
        clear_host_aws()
        workdir.mkdir(parents=True, exist_ok=True)
        world = _shared_world(aws_latency, scenario)
        space = space or world.scenario.lab_space or world.scenario.section("spaces")[0]["name"]
        metadata = world.write_resource_metadata(workdir / "resource-metadata.json", space)
        region = world.scenario.region
        env = {
            "AWS_ENDPOINT_URL": world.emulator_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": str(workdir / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "no-aws-credentials"),
            **world.git_env(),  # the world's CA; the domain's port-less repo URLs reachable (its alias proxy)
            "STUDIO_COLLAB_RESOURCE_METADATA": str(metadata),
            "SAGEMAKER_SPACE_TYPE_LOWERCASE": world.scenario.space(space)["sharing"].lower(),
        }
        if with_mlflow:  # started (and seeded) on first use; the domain's tracking server then points at it
            env["SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT"] = world.mlflow_server.url
        return cls(workdir, world, env)

    def stop(self) -> None:
        """The servers a benchmark started are its own to stop; the world stays for the next benchmark and
        stops when this process ends."""

    def __enter__(self) -> StudioLike:
        return self

    def __exit__(self, *_) -> None:
        self.stop()

    def repo_url(self, name: str) -> str:
        return self.world.repo_url(name)

    def lab(
        self,
        name: str,
        *,
        with_product: bool = True,
        config: dict | None = None,
        args: list[str] = (),
        poll_interval: float = 0.3,
        env: dict | None = None,
    ) -> LabServer:
        """`jupyter lab` as Studio starts it, in ``workdir/name``; ``config``: StudioCollabApp settings (a config
        file, as an admin writes it); without the product, the same server and flags with studio_collab off."""
        base = self.workdir / name
        base.mkdir(parents=True, exist_ok=True)
        settings = {"share_folder": str(self.workdir / "shares"), **(config or {})}
        config_file = base / "studio-collab-config.json"
        config_file.write_text(json.dumps({"StudioCollabApp": settings}))
        extra = [f"--config={config_file}", *args] + ([] if with_product else [PRODUCT_OFF])
        began = time.perf_counter()
        server = start_lab(
            base / "root",
            base_url=STUDIO_BASE_URL,
            env={**self.env, **(env or {})},
            args=studio_args(*extra),
            poll_interval=poll_interval,
        )
        server.extra["ready_seconds"] = time.perf_counter() - began  # spawn until GET api/status answers 200
        answer = requests.get(server.api("status"), headers=server.headers, timeout=60)
        if (answer.status_code == 200) != with_product:  # the baseline must really run without the product
            server.stop()
            raise RuntimeError(f"studio-collab status answered {answer.status_code}, with_product={with_product}")
        if with_product and not answer.json().get("studio", {}).get("in_studio", True):
            server.stop()
            raise RuntimeError(f"the product does not see Studio: {answer.json()}")
        return server


def _shared_world(aws_latency: str, scenario: str = "demo"):
    from studio_world.local_world import LocalWorld

    world = _SHARED.get((scenario, aws_latency))
    if world is None:
        workdir = Path(tempfile.mkdtemp(prefix="bench-world-"))
        world = LocalWorld(workdir, scenario, in_process=False, aws_latency=aws_latency)
        try:
            world.start()
        except BaseException:
            world.stop()
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        _SHARED[(scenario, aws_latency)] = world
        atexit.register(_stop_world, world, workdir)
    return world


def _stop_world(world, workdir: Path) -> None:
    world.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def wait_job(server: LabServer, job: dict, session=None, interval: float = 0.01, timeout: float = 600) -> dict:
    """Follow a job through `GET jobs/{id}` until it ends (what the panel does)."""
    session = session or requests
    deadline = time.monotonic() + timeout
    while job["state"] in ("queued", "running"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job['id']} still {job['state']} after {timeout} s")
        time.sleep(interval)
        job = session.get(server.api(f"jobs/{job['id']}"), headers=server.headers, timeout=60).json()["job"]
    return job


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")
