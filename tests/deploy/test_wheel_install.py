"""Row P1: `pip install` of the wheel alone makes studio-collab work; no node anywhere on PATH."""

from __future__ import annotations

import re
import subprocess

import pytest
import requests

from studio_collab import __version__
from tests.deploy.images import node_free_env
from tests.servers import start_lab
from tests.ui.conftest import open_panel

# The first run builds the image venv (about a minute); later runs reuse it.
pytestmark = pytest.mark.timeout(900)

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def installed_venv(image_venv, project_wheel):
    image_venv.install_wheel(project_wheel)
    yield image_venv
    image_venv.reset()


def jupyter(venv, env, *args: str) -> str:
    result = subprocess.run(
        [str(venv.python), "-m", "jupyter", *args], capture_output=True, text=True, env=env, timeout=120
    )
    return ANSI.sub("", result.stdout + result.stderr)


@pytest.mark.ui
def test_wheel_alone_installs_both_halves_and_serves_the_panel(installed_venv, tmp_path, page):
    env = node_free_env(installed_venv, tmp_path, STUDIO_COLLAB_RESOURCE_METADATA=str(tmp_path / "absent.json"))
    # the venv never saw this checkout: studio_collab comes from its own site-packages
    where = subprocess.run(
        [str(installed_venv.python), "-c", "import studio_collab; print(studio_collab.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    ).stdout
    assert where.startswith(str(installed_venv.path)), where

    servers = jupyter(installed_venv, env, "server", "extension", "list")
    assert "studio_collab enabled" in servers, servers
    assert re.search(rf"studio_collab {re.escape(__version__)} OK", servers), servers
    labs = jupyter(installed_venv, env, "labextension", "list")
    line = next((l for l in labs.splitlines() if "studio-collab v" in l), "")
    assert f"studio-collab v{__version__}" in line and "enabled" in line and "OK" in line, labs
    assert "(python, studio_collab)" in line  # prebuilt, shipped by the wheel

    server = start_lab(tmp_path / "root", env=env, python=str(installed_venv.python))
    try:
        status = requests.get(server.api("status"), headers=server.headers, timeout=30)
        assert status.status_code == 200 and status.json()["version"] == __version__
        lab_html = requests.get(f"{server.url}lab", headers=server.headers, timeout=30).text
        assert "studio-collab" in lab_html  # the federated extension is listed in the page config
        static = f"{server.url}lab/extensions/studio-collab/static/"
        package = requests.get(
            f"{server.url}lab/extensions/studio-collab/package.json", headers=server.headers, timeout=30
        )
        assert package.status_code == 200 and package.json()["version"] == __version__
        entry = package.json()["jupyterlab"]["_build"]["load"]  # e.g. static/remoteEntry.<hash>.js
        script = requests.get(f"{server.url}lab/extensions/studio-collab/{entry}", headers=server.headers, timeout=30)
        assert script.status_code == 200 and "studio-collab" in script.text
        assert requests.get(static + "style.js", headers=server.headers, timeout=30).status_code == 200
        log = server.log()
        assert "studio_collab | extension was successfully loaded" in log and "Traceback" not in log, log[-3000:]
        # and the panel loads in a browser, from files the wheel installed
        open_panel(page, server)
        page.locator(".jp-StudioCollab-header").get_by_text("Not running in SageMaker Studio.").wait_for(timeout=15_000)
        assert page.console_errors == []
    finally:
        server.stop()
