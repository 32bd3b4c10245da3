"""The extension is installed, enabled and every verb is authenticated and authorized."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "studio_collab"
VERBS = {"get", "post", "put", "patch", "delete", "head", "options"}


def _decorator_names(node: ast.FunctionDef) -> set[str]:
    names = set()
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", ""))
    return names


def route_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("routes.py")) + [PACKAGE / "handler.py"]


@pytest.mark.parametrize("module", route_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_verb_is_authenticated_and_authorized(module):
    tree = ast.parse(module.read_text())
    undecorated = []
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        resource = None
        for item in cls.body:
            if isinstance(item, ast.Assign) and any(getattr(t, "id", "") == "auth_resource" for t in item.targets):
                resource = ast.literal_eval(item.value)
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in VERBS:
                if not {"authenticated", "authorized"} <= _decorator_names(item):
                    undecorated.append(f"{cls.name}.{item.name}")
        if resource is not None:
            assert resource.startswith("studio_collab:"), f"{cls.name}: auth_resource {resource!r}"
    assert undecorated == [], f"verbs without @web.authenticated + @authorized in {module}"


async def test_server_finds_no_unauthenticated_studio_collab_verb(jp_serverapp):
    """The same check jupyter_server runs when allow_unauthenticated_access=False, on every route of ours."""
    app = next(iter(jp_serverapp.extension_manager.extension_apps["studio_collab"]))
    assert app.handlers
    missing = []
    for pattern, handler, *_ in app.handlers:
        missing += jp_serverapp.web_app._check_handler_auth(pattern, handler)
    assert missing == []


def _run(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "jupyter", *args], capture_output=True, text=True, timeout=120)
    return result.stdout + result.stderr


def test_server_extension_is_enabled_and_ok():
    out = _run("server", "extension", "list")
    assert "studio_collab enabled" in out.replace("\x1b[32m", "").replace("\x1b[0m", "")
    assert "studio_collab 0." in out and "OK" in out.split("studio_collab 0.", 1)[1].splitlines()[0]


def test_labextension_is_enabled_and_ok():
    out = _run("labextension", "list").replace("\x1b[32m", "").replace("\x1b[0m", "")
    line = next((l for l in out.splitlines() if "studio-collab" in l), "")
    assert "enabled" in line and "OK" in line, out
