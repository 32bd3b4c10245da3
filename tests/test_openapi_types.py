"""The browser's TypeScript types (src/openapi-types.ts) are generated from the OpenAPI document the server serves;
this test regenerates them with the pinned openapi-typescript and fails when the committed file is stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "node_modules" / ".bin" / "openapi-typescript"
COMMITTED = ROOT / "src" / "openapi-types.ts"


def test_generated_types_match_the_served_document(tmp_path):
    assert GENERATOR.exists(), "openapi-typescript is missing: run `jlpm install` (make test does)"
    document = tmp_path / "openapi.json"
    subprocess.run([sys.executable, "-m", "studio_collab.openapi", str(document)], check=True, cwd=ROOT)
    generated = tmp_path / "openapi-types.ts"
    subprocess.run(
        [str(GENERATOR), str(document), "-o", str(generated)], check=True, cwd=ROOT, capture_output=True, timeout=120
    )
    assert generated.read_text("utf-8") == COMMITTED.read_text("utf-8"), (
        "src/openapi-types.ts is stale: run `jlpm build:types` and commit the result"
    )
