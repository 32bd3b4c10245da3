"""Row P4: studio-collab beside the extensions SageMaker Distribution ships (jupyterlab-git, jupyter-collaboration,
the activity monitor, sagemaker-jupyterlab-extension), in a venv of their own: all load, no route or command id
collides, the panel works and the browser console stays clean.

The venv comes from the package index; when one of them cannot install here the test skips with pip's reason.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import requests

from tests.deploy.images import node_free_env
from tests.deploy.test_studio_like_run import (SHARE_BUCKET, STUDIO_BASE_URL, check_panel_in_shared_space,
                                                studio_args)
from tests.servers import start_lab
from tests.ui.conftest import screenshot

# The first run builds the Studio-like venv from the package index (a few minutes); later runs reuse it.
pytestmark = [pytest.mark.ui, pytest.mark.world, pytest.mark.timeout(1200)]

ANSI = re.compile(r"\x1b\[[0-9;]*m")
SERVER_EXTENSIONS = ("studio_collab", "jupyterlab_git", "jupyter_server_ydoc", "jupyter_activity_monitor_extension",
                     "sagemaker_jupyterlab_extension")
# One frontend plugin prefix per extension package, to prove each one's frontend activated.
FRONTEND_PREFIXES = ("studio-collab:", "@jupyterlab/git", "@jupyter/collaboration-extension",
                     "@amzn/sagemaker-jupyterlab-extension")
IDENTITY = "sagemaker_jupyterlab_extension_common.identity.SagemakerIdentityProvider"

# Runs inside the Studio-like venv: every HTTP route the server would serve, with the module that serves it.
ROUTES_PROBE = """
import json, sys
from jupyter_server.serverapp import ServerApp
server = ServerApp()
server.initialize(sys.argv[1:], find_extensions=True, new_httpserver=False)
rules = []
def walk(router):
    for rule in getattr(router, "rules", []):
        if hasattr(rule.target, "rules"):
            walk(rule.target)
        elif getattr(rule.matcher, "regex", None) is not None:
            rules.append([rule.matcher.regex.pattern, getattr(rule.target, "__module__", "?")])
walk(server.web_app.default_router)
print("ROUTES=" + json.dumps({"base_url": server.base_url, "rules": rules}))
"""


def shared_space_env(venv, tmp_path, world) -> dict:
    return node_free_env(
        venv, tmp_path, AWS_ENDPOINT_URL=world.emulator_url, AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing", AWS_REGION=world.region, AWS_DEFAULT_REGION=world.region,
        AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        GIT_SSL_CAINFO=str(world.ca_bundle), STUDIO_COLLAB_RESOURCE_METADATA=str(world.metadata_path),
        RESOURCE_METADATA_FILE=str(world.metadata_path),  # where AWS's own extensions read it
        SAGEMAKER_SPACE_TYPE_LOWERCASE="shared", SAGEMAKER_APP_TYPE_LOWERCASE="jupyterlab")


def served_routes(venv, env, tmp_path) -> tuple[str, list[tuple[str, str]]]:
    result = subprocess.run([str(venv.python), "-c", ROUTES_PROBE, f"--ServerApp.base_url={STUDIO_BASE_URL}",
                             f"--ServerApp.root_dir={tmp_path}"], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=180)
    line = next((l for l in result.stdout.splitlines() if l.startswith("ROUTES=")), None)
    assert line, result.stdout[-2000:] + result.stderr[-3000:]
    data = json.loads(line[len("ROUTES="):])
    return data["base_url"], [tuple(rule) for rule in data["rules"]]


def package_of(module: str) -> str:
    return module.split(".", 1)[0]


def test_routes_do_not_collide(studio_image_venv, world_env, tmp_path):
    env = shared_space_env(studio_image_venv, tmp_path, world_env)
    base_url, rules = served_routes(studio_image_venv, env, tmp_path)
    ours = [(p, m) for p, m in rules if package_of(m) == "studio_collab"]
    prefix = re.escape(f"{base_url}studio-collab/")
    assert ours and all(p.startswith(f"{base_url}studio-collab/") or p.startswith(prefix) for p, _ in ours), ours
    # nobody else serves under our prefix, and the same pattern is never served by two packages
    others = [(p, m) for p, m in rules if package_of(m) != "studio_collab"]
    assert not [p for p, _ in others if "studio-collab" in p]
    owners: dict[str, set[str]] = {}
    for pattern, module in rules:
        owners.setdefault(pattern, set()).add(package_of(module))
    assert {p: o for p, o in owners.items() if len(o) > 1} == {}
    # each of our URLs reaches our handler first (tornado takes the first matching rule)
    for path in ("status", "openapi.json", "repos", "spaces", "shares", "experiments", "cost", "idle", "domain"):
        url = f"{base_url}studio-collab/{path}"
        first = next(m for p, m in rules if re.fullmatch(p.rstrip("$"), url) or re.match(p, url))
        assert package_of(first) == "studio_collab", (url, first)
    # and the activity monitor's idle route stays its own
    idle = f"{base_url}api/idle"
    first = next((m for p, m in rules if re.match(p, idle)), "")
    assert package_of(first) == "jupyter_activity_monitor_extension", first


def test_all_extensions_load_and_the_panel_works_beside_them(studio_image_venv, world_env, page, tmp_path):
    env = shared_space_env(studio_image_venv, tmp_path, world_env)
    listed = subprocess.run([str(studio_image_venv.python), "-m", "jupyter", "server", "extension", "list"],
                            capture_output=True, text=True, env=env, timeout=120)
    listing = ANSI.sub("", listed.stdout + listed.stderr)
    for name in SERVER_EXTENSIONS:
        assert re.search(rf"^\s+{name} \S* ?OK", listing, re.M), f"{name} not OK:\n{listing}"

    world_env.space_name = "team-space"  # the metadata below is the shared space's
    world_env.write_resource_metadata(world_env.metadata_path, "team-space")
    # the server's root is the user's home in Studio, where AWS's extension keeps state in .jupyter/ through the
    # contents API, which Studio's server therefore lets touch hidden files
    (tmp_path / "root" / ".jupyter").mkdir(parents=True)
    server = start_lab(tmp_path / "root", env=env, python=str(studio_image_venv.python), base_url=STUDIO_BASE_URL,
                       token="", args=studio_args(f"--ServerApp.identity_provider_class={IDENTITY}",
                                                  "--ContentsManager.allow_hidden=True",
                                                  "--StudioCollabApp.share_store=s3",
                                                  f"--StudioCollabApp.share_s3_bucket={SHARE_BUCKET}"))
    try:
        log = server.log()
        for name in SERVER_EXTENSIONS:
            assert f"{name} | extension was successfully loaded" in log, f"{name} did not load:\n{log[-3000:]}"
        # both idle routes answer: the activity monitor's and ours
        assert requests.get(f"{server.url}api/idle", timeout=30).status_code == 200
        assert requests.get(server.api("idle"), timeout=30).status_code == 200

        # Studio's identity provider names the viewer from this cookie in shared spaces (studio-facts §1.6)
        page.context.add_cookies([{"name": "studioUserProfileName", "value": "bob",
                                   "url": f"http://127.0.0.1:{server.port}/"}])
        check_panel_in_shared_space(page, server, world_env)
        page.locator(".jp-StudioCollab-header").get_by_text("bob", exact=True).wait_for(timeout=10_000)
        plugins = page.evaluate("() => window.jupyterapp.listPlugins()"
                                ".filter(p => window.jupyterapp.isPluginActivated(p))")
        for prefix in FRONTEND_PREFIXES:
            assert any(p.startswith(prefix) for p in plugins), f"no activated plugin of {prefix}"
        commands = page.evaluate("() => window.jupyterapp.commands.listCommands()")
        assert len(commands) == len(set(commands))
        ours = {c for c in commands if c.startswith("studio-collab:")}
        assert ours and not any("studio-collab" in c for c in set(commands) - ours)
        screenshot(page, "panel-beside-studio-extensions.png")
        assert page.console_errors == [], "\n".join(e[:300] for e in page.console_errors)
    finally:
        server.stop()
