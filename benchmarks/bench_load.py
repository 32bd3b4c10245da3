"""Load: 50 concurrent clients polling status, repos, cost and idle for 60 s on loopback.

Method: the local Studio world (`demo` scenario) runs in its own processes and a real `jupyter server` with
studio-collab points at it from alice's private space. 50 clients (5 for 3 s in smoke mode) each loop over
the four routes pausing 0.5 s between requests (an open panel at the fastest poll setting, 2 s for four routes:
about 100 requests a second in all), on one event loop with a connection per client.
Figures: the error count (budget 0) and the p99 latency over every request (budget 100 ms), with the p50 as
the baseline column. A last, unbudgeted row floods the same routes with no pause for 10 s: the server's
throughput, and its p99 when saturated.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.servers import start_lab

from .framework import Figure, limit_figure, percentile
from .load import run_load


def run(smoke: bool) -> list[Figure]:
    from studio_world.local_world import LocalWorld

    clients, seconds = (5, 3) if smoke else (50, 60)
    with tempfile.TemporaryDirectory() as tmp:
        world = LocalWorld(Path(tmp) / "world", "demo", in_process=False)
        world.start()
        server = None
        try:
            metadata = world.write_resource_metadata(Path(tmp) / "resource-metadata.json", world.scenario.lab_space)
            env = {"AWS_ENDPOINT_URL": world.emulator_url, "AWS_ACCESS_KEY_ID": "testing",
                   "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": world.scenario.region,
                   "GIT_SSL_CAINFO": str(world.ca_bundle), "STUDIO_COLLAB_RESOURCE_METADATA": str(metadata),
                   "SAGEMAKER_SPACE_TYPE_LOWERCASE": "private"}
            server = start_lab(Path(tmp) / "root", command="server", env=env,
                               args=[f"--StudioCollabApp.share_folder={Path(tmp) / 'shares'}"])
            run_load(server.api(""), server.headers, clients=2, seconds=1)  # warm the caches first
            result = run_load(server.api(""), server.headers, clients=clients, seconds=seconds)
            flood = run_load(server.api(""), server.headers, clients=clients, seconds=2 if smoke else 10, pause=0)
        finally:
            if server is not None:
                server.stop()
            world.stop()
    p50 = percentile(result.latencies_ms, 50)
    p99 = percentile(result.latencies_ms, 99)
    note = f"{clients} clients, {seconds} s, {result.requests} requests"
    return [
        limit_figure("load: errors under 50 pollers", float(len(result.errors)), "errors", 0, note=note),
        limit_figure("load: p99 latency under 50 pollers", p99, "ms", 100, baseline=p50, note=note + "; baseline=p50"),
        Figure("load: throughput when flooded (no pause)", round(flood.requests / (2 if smoke else 10), 1), "req/s",
               None, None, "-", not flood.errors, f"p99 {percentile(flood.latencies_ms, 99):.0f} ms, "
                                                 f"{len(flood.errors)} errors"),
    ]
