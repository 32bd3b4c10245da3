"""The demo world's slow repo: served under its bandwidth limit, so `make lab` shows a clone's progress."""

import re
import subprocess
import time

from studio_world.repo_factory import RATE_LIMIT_FILE


def test_slow_repo_is_served_at_its_bandwidth_limit(world, tmp_path):
    repo = next(r for r in world.scenario.repos if r.get("rate_limit_kbps"))
    bare = world.local.repos.bare_path(repo["name"])
    assert (bare / RATE_LIMIT_FILE).read_text() == str(repo["rate_limit_kbps"] * 1000)
    started = time.monotonic()
    done = subprocess.run(
        ["git", "clone", "--progress", world.repo_url(repo["name"]), str(tmp_path / "c")],
        env={**world.local.git_env(), "PATH": "/usr/bin:/bin", "GIT_TERMINAL_PROMPT": "0", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    # git itself says how much it received; at the limit that takes at least size / rate seconds
    received = subprocess.run(["git", "count-objects", "-v"], cwd=tmp_path / "c", capture_output=True, text=True)
    size_kib = int(re.search(r"size-pack: (\d+)", received.stdout).group(1))
    assert size_kib > 3_000, received.stdout  # data-heavy: several MB of packed objects
    assert took >= 0.8 * size_kib * 1024 / (repo["rate_limit_kbps"] * 1000), (took, size_kib)
    # and what the panel shows comes from git's own progress: phases with percents
    assert re.search(r"Receiving objects:\s+\d+%", done.stderr), done.stderr[-500:]


def test_other_repos_stay_fast(world, tmp_path):
    bare = world.local.repos.bare_path("churn-model")
    assert not (bare / RATE_LIMIT_FILE).exists()
