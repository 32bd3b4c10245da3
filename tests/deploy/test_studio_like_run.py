"""Row P4: the panel works where Studio runs JupyterLab: base URL /jupyterlab/default, an empty token, a shared
space with real-time collaboration (jupyter-collaboration), Studio's resource metadata."""

from __future__ import annotations

import pytest
import requests

from tests.identity.studio_identity import COOKIE, shared_space_login
from tests.servers import start_lab
from tests.ui.conftest import open_panel, screenshot

pytestmark = [pytest.mark.ui, pytest.mark.world]

STUDIO_BASE_URL = "/jupyterlab/default"
SHARE_BUCKET = "studio-collab-shares-123456789012"


def studio_args(*extra: str) -> list[str]:
    # Studio's own flags beside the base URL and empty token (studio-facts §1.6).
    return ["--ServerApp.allow_origin=*", "--LabApp.expose_app_in_browser=True", *extra]


def check_panel_in_shared_space(page, server, world) -> None:
    """Open the panel and use it: the header knows the shared space, the sections answer from the world."""
    open_panel(page, server)
    header = page.locator(".jp-StudioCollab-header")
    header.get_by_text(f"{world.space_name} (shared)").wait_for(timeout=30_000)
    header.get_by_text(world.domain_id).wait_for(timeout=5_000)
    # real-time collaboration is what makes a shared space: its document provider runs in this page
    assert page.evaluate("() => window.jupyterapp.isPluginActivated('@jupyter/docprovider-extension:content-provider')")
    # the Cost section lists what runs in the world's domain, through the base URL and the empty token
    cost = page.locator(".jp-StudioCollab-costTable")
    cost.wait_for(timeout=30_000)
    cost.get_by_text("ml.m5.xlarge").first.wait_for(timeout=15_000)
    assert page.locator(".jp-StudioCollab-error").count() == 0
    commands = page.evaluate("() => window.jupyterapp.commands.listCommands()")
    assert any(c.startswith("studio-collab:") for c in commands)


@pytest.mark.world_space("team-space")
def test_panel_in_a_studio_like_shared_space(world_env, page, tmp_path):
    assert world_env.scenario.space("team-space")["sharing"] == "Shared"
    # As Studio starts a shared space: its identity provider names the member from the studioUserProfileName cookie.
    login_args, login_env = shared_space_login()
    server = start_lab(
        tmp_path / "root",
        base_url=STUDIO_BASE_URL,
        token="",
        env=login_env,
        args=studio_args(
            *login_args, "--StudioCollabApp.share_store=s3", f"--StudioCollabApp.share_s3_bucket={SHARE_BUCKET}"
        ),
    )
    try:
        # no token at all, as in Studio (the domain's auth sits in front of the app)
        status = requests.get(server.api("status"), timeout=30)
        assert status.status_code == 200, status.text
        studio = status.json()["studio"]
        assert studio["space_type"] == "shared" and studio["space_name"] == "team-space"
        assert "jupyter_server_ydoc | extension was successfully loaded" in server.log()
        origin = f"http://127.0.0.1:{server.port}"
        page.context.add_cookies([{"name": COOKIE, "value": "bob", "url": f"{origin}/"}])  # bob, a member
        check_panel_in_shared_space(page, server, world_env)
        screenshot(page, "panel-studio-shared-space.png")
        assert page.console_errors == []
    finally:
        server.stop()
