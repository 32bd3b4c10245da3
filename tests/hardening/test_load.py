"""50 concurrent clients poll status, repos, cost and idle on loopback: zero errors.

The latency figures of this 60-second load go to `make bench`; here only correctness under load is asserted.
"""

from __future__ import annotations

from benchmarks.load import run_load


def test_fifty_pollers_get_no_errors(world_server):
    result = run_load(world_server.api(""), world_server.headers, clients=50, seconds=60)
    assert result.requests > 200, result.requests
    assert result.errors == [], result.errors[:20]
