"""schemathesis against the served OpenAPI document of a live server on the local Studio world.

Every route and method, at least 1,000 generated cases (a count, from a fixed seed: no time budget cuts the run
short on a loaded machine; how long the cases take is a benchmark figure); zero 5xx and every response conforms to
the documented schema and status codes.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.mark.timeout(2400)
def test_fuzz_every_route(world_server, tmp_path):
    schemathesis = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    report = tmp_path / "fuzz.ndjson"
    result = subprocess.run(
        [
            schemathesis,
            "run",
            world_server.api("openapi.json"),
            "--header",
            f"Authorization: token {world_server.token}",
            "--checks",
            CHECKS,
            "--max-examples",
            "60",
            "--workers",
            "1",
            "--seed",
            "20261126",
            "--request-timeout",
            "30",
            "--suppress-health-check",
            "all",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=2300,
    )
    output = result.stdout + result.stderr
    server_log = world_server.log()
    assert result.returncode == 0, output[-6000:]
    cases = _generated_cases(output, report)
    assert cases >= 1000, f"only {cases} cases generated:\n{output[-3000:]}"
    assert "Traceback" not in server_log, server_log[-4000:]


def _generated_cases(output: str, report: Path) -> int:
    match = re.search(r"(\d+) generated", output)
    if match:
        return int(match.group(1))
    total = 0
    for line in report.read_text().splitlines() if report.exists() else []:
        event = json.loads(line)
        total += len(((event.get("ScenarioFinished") or {}).get("recorder") or {}).get("cases", {}) or {})
    return total
