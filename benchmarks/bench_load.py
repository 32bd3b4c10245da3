"""Load: 50 concurrent clients polling status, repos, cost and idle for 60 s on loopback.

Method: the Studio-like server (`benchmarks.studio_like`: `jupyter lab` at /jupyterlab/default in alice's private
space, the world's AWS endpoint answering at AWS's latency, docs/aws-latency.md). 50 clients (5 for 3 s in smoke mode) each loop over
the four routes pausing 0.5 s between requests (an open panel at the fastest poll setting, 2 s for four routes:
about 100 requests a second in all), on one event loop with a connection per client.
Figures: the error count (budget 0) and the p99 latency over every request (budget 100 ms), with the p50 as
the baseline column. A last, unbudgeted row floods the same routes with no pause for 10 s: the server's
throughput, and its p99 when saturated.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .framework import Figure, limit_figure, percentile
from .load import run_load
from .studio_like import StudioLike


def run(smoke: bool) -> list[Figure]:
    clients, seconds = (5, 3) if smoke else (50, 60)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        studio = StudioLike.start(Path(tmp))
        server = None
        try:
            server = studio.lab("load")
            run_load(server.api(""), server.headers, clients=2, seconds=1)  # warm the caches first
            result = run_load(server.api(""), server.headers, clients=clients, seconds=seconds)
            flood = run_load(server.api(""), server.headers, clients=clients, seconds=2 if smoke else 10, pause=0)
        finally:
            if server is not None:
                server.stop()
            studio.stop()
    p50 = percentile(result.latencies_ms, 50)
    p99 = percentile(result.latencies_ms, 99)
    note = f"{clients} clients, {seconds} s, {result.requests} requests"
    return [
        limit_figure("load: errors under 50 pollers", float(len(result.errors)), "errors", 0, note=note),
        limit_figure("load: p99 latency under 50 pollers", p99, "ms", 100, baseline=p50, note=note + "; baseline=p50"),
        Figure(
            "load: throughput when flooded (no pause)",
            round(flood.requests / (2 if smoke else 10), 1),
            "req/s",
            None,
            None,
            "-",
            not flood.errors,
            f"p99 {percentile(flood.latencies_ms, 99):.0f} ms, {len(flood.errors)} errors",
        ),
    ]
