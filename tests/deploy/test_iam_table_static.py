"""Every AWS action a feature's code names literally is in that feature's row of FEATURE_ACTIONS.

A fast first line; test_iam_table.py then drives the routes and compares with what was really called (that one
also sees operations chosen at run time, e.g. the Stop* of the cost feature)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from studio_collab.app import FEATURES
from studio_collab.deploy.iam import FALLBACK_ACTIONS, FEATURE_ACTIONS, iam_actions

PACKAGE = Path(__file__).resolve().parents[2] / "studio_collab"
SEAM_METHODS = {"call", "paginate", "run_sync", "paginate_sync"}
# Packages whose calls belong to a table row: the Studio context is every feature's "core".
ROWS = {"studio": ("core",), **{f: (f, f"{f}_s3", "cost_explorer", "price_refresh") for f in FEATURES}}


def literal_actions(folder: Path) -> set[str]:
    found = set()
    for module in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SEAM_METHODS:
                args = node.args[:2]
                if len(args) == 2 and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
                    found.add(f"{args[0].value}:{args[1].value}")
    return iam_actions(found)


@pytest.mark.parametrize("package", sorted(ROWS))
def test_literal_calls_are_in_the_table(package):
    folder = PACKAGE / package
    if not folder.is_dir():
        pytest.skip(f"studio_collab/{package} is not in this version")
    allowed = {a for row in ROWS[package] for a in FEATURE_ACTIONS.get(row, [])}
    allowed |= {a for a, why in FALLBACK_ACTIONS.items() if why.startswith(f"{package},")}
    missing = literal_actions(folder) - allowed
    assert missing == set(), f"studio_collab/{package} calls {sorted(missing)}: add them to FEATURE_ACTIONS"
