"""Every benchmark runs once in smoke mode (tiny sizes, no budget check) so none of them rots."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


# Every benchmark once on one Studio-like world (its servers, MLflow, the LCC install among them), tiny sizes and one
# repetition: 3.5 minutes on this 2-core machine at a load of 4-5 (before these sizes: 6.5 at a load of 1-4, over 15
# at a load of 20), so the suite's 300 s per-test limit is lifted to the subprocess's, with room for a loaded machine.
@pytest.mark.timeout(900)
def test_benchmarks_smoke(tmp_path):
    output = tmp_path / "bench-results.json"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=870,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = json.loads(output.read_text())
    assert rows and all(set(r) >= {"name", "value", "unit", "baseline", "ratio", "budget", "ok"} for r in rows)
    assert all(r["value"] is not None for r in rows), rows
