"""Deploy: the LCC's run at an app start, from a wheel on S3, in an environment without studio-collab.

Method: `/opt/conda` is not persistent in Studio, so the lifecycle configuration installs at every app start.
The local Studio world (`demo` scenario, its own processes) serves S3; the project's wheel (`pip wheel`, with the
prebuilt panel) is uploaded to a bucket there and `studio-collab lcc --wheel s3://…` makes the script (sha256
recorded). The script then runs under bash in a venv standing in for the image before studio-collab (JupyterLab
4.5 and the product's dependencies, as SageMaker Distribution has them; reused between runs, put back to
pristine first), with boto3 as the S3 client and a stand-in `restart-jupyter-server`.
Figures: the first run's wall time (budget 20 s; Studio allows 300 s for the whole script), the bytes it adds to
the environment (budget 3 MB), and, unbudgeted, the second run (nothing to do: no download, no restart).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from .framework import Figure, limit_figure
from .studio_like import clear_host_aws

RUN_BUDGET_SECONDS = 20
DISK_BUDGET_MB = 3


def tree_bytes(root: Path) -> int:
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                total += path.stat().st_size
    return total


def run(smoke: bool) -> list[Figure]:
    from studio_world.local_world import LocalWorld

    from studio_collab.deploy.lcc import LccSpec, render_script, wheel_sha256
    from tests.deploy.images import build_wheel, ensure_venv, image_requirements, node_free_env

    clear_host_aws()  # the script's boto3 must reach the world's S3 only
    venv, reason = ensure_venv("image", image_requirements())
    if venv is None:
        raise RuntimeError(f"the image venv does not install here: {reason}")
    venv.reset()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        wheel = build_wheel(tmp_path / "dist")
        wheel_kb = wheel.stat().st_size / 1e3
        world = LocalWorld(tmp_path / "world", "demo", in_process=False)
        world.start()
        try:
            import boto3

            s3 = boto3.client(
                "s3",
                endpoint_url=world.emulator_url,
                region_name=world.scenario.region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            s3.create_bucket(Bucket="studio-collab-artifacts")
            s3.upload_file(str(wheel), "studio-collab-artifacts", f"studio-collab/{wheel.name}")
            uri = f"s3://studio-collab-artifacts/studio-collab/{wheel.name}"
            script = render_script(LccSpec(wheel=uri, wheel_sha256=wheel_sha256(uri, wheel)))
            bin_dir = tmp_path / "studio-bin"
            bin_dir.mkdir()
            (bin_dir / "restart-jupyter-server").write_text("#!/bin/bash\nexit 0\n")
            (bin_dir / "restart-jupyter-server").chmod(0o755)
            env = node_free_env(
                venv,
                tmp_path,
                STUDIO_COLLAB_PYTHON=str(venv.python),
                STUDIO_COLLAB_LCC_LOG=str(tmp_path / "app_container.log"),
                AWS_ENDPOINT_URL=world.emulator_url,
                AWS_ACCESS_KEY_ID="testing",
                AWS_SECRET_ACCESS_KEY="testing",
                AWS_REGION=world.scenario.region,
                AWS_DEFAULT_REGION=world.scenario.region,
                AWS_CONFIG_FILE=str(tmp_path / "none"),
                AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
            )
            env["PATH"] = f"{bin_dir}:{env['PATH']}"
            before = tree_bytes(venv.path)
            timings = []
            for _ in range(2):
                started = time.monotonic()
                result = subprocess.run(
                    ["bash", "-s"], input=script, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
                )
                timings.append(time.monotonic() - started)
                if result.returncode != 0:
                    raise RuntimeError(f"the LCC failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
            added = (tree_bytes(venv.path) - before) / 1e6
        finally:
            world.stop()
            venv.reset()
    note = f"wheel {wheel_kb:.0f} kB from the world's S3; boto3 copy; pip --no-index"
    return [
        limit_figure(
            "deploy: LCC first run (wheel from S3, fresh env)", timings[0], "s", RUN_BUDGET_SECONDS, note=note
        ),
        limit_figure("deploy: disk the LCC adds to the environment", added, "MB", DISK_BUDGET_MB, note=note),
        Figure(
            "deploy: LCC second run (nothing to do)",
            round(timings[1], 3),
            "s",
            None,
            None,
            "-",
            True,
            "no download, no restart",
        ),
    ]
