"""In Debian chromium: Share in the notebook toolbar of alice's private space, the link copied to the clipboard,
opened in the shared space's JupyterLab (a second server), imported on confirm, and the copy opened."""

from __future__ import annotations

import json
import os
import time
from urllib.parse import urlsplit

import nbformat
import pytest

from tests.identity.studio_identity import COOKIE, shared_space_login
from tests.servers import start_lab
from tests.share.conftest import make_notebook
from tests.ui.conftest import (  # fixtures among them
    CHROMIUM_ARGS,
    browser,
    screenshot,
    show_panel,
    wait_workspace_saved,
)

pytestmark = pytest.mark.ui

# The name is markup on purpose: everywhere it appears it must stay text.
NAME = "<img src=x onerror=alert(1)>.ipynb"


@pytest.fixture
def two_labs(world_env, tmp_path):
    bucket = world_env.scenario.section("s3_buckets")[0]
    store = [
        "--StudioCollabApp.share_store=s3",
        f"--StudioCollabApp.share_s3_bucket={bucket}",
        "--StudioCollabApp.share_s3_prefix=browser/",
        # jupyter-collaboration keeps its document history next to the server's cwd unless told otherwise
        f"--SQLiteYStore.db_path={tmp_path / 'ystore.db'}",
    ]
    team_metadata = world_env.write_resource_metadata(tmp_path / "team-space-metadata.json", "team-space")
    login_args, login_env = shared_space_login()  # as Studio runs a shared space: its cookie names the member
    team = start_lab(
        tmp_path / "team-root",
        base_url="/jupyterlab/default/",
        args=[*login_args, *store],
        env={
            "STUDIO_COLLAB_RESOURCE_METADATA": str(team_metadata),
            "SAGEMAKER_SPACE_TYPE_LOWERCASE": "shared",
            **login_env,
        },
    )
    world_env.override(
        "space", {"DomainId": world_env.domain_id, "SpaceName": "team-space"}, {"Url": f"http://127.0.0.1:{team.port}"}
    )
    try:
        alice = start_lab(tmp_path / "alice-root", base_url="/jupyterlab/default/", args=store)
    except Exception:
        team.stop()
        raise
    yield alice, team
    alice.stop()
    team.stop()


def test_share_from_toolbar_then_import_in_the_shared_space(browser, two_labs, tmp_path):  # noqa: F811
    alice, team = two_labs
    notebook = make_notebook(tmp_path / NAME, output_bytes=2000)
    # 9 MB of output in a type JupyterLab does not render: large enough that sharing and importing run as jobs
    # with progress (the Notification while uploading, the import page following its job), cheap to display.
    content = nbformat.read(notebook, as_version=4)
    content.cells[0].outputs.append(
        nbformat.v4.new_output("display_data", data={"application/x-bench": "y" * (9 << 20)})
    )
    nbformat.write(content, notebook)
    # One finished file with an mtime in the past, so JupyterLab never sees it "changed on disk" while open.
    os.utime(notebook, (time.time() - 60, time.time() - 60))
    os.replace(notebook, alice.root_dir / NAME)
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    # bob opened the shared space from Studio: its identity provider names him from this cookie
    context.add_cookies([{"name": COOKIE, "value": "bob", "url": f"http://127.0.0.1:{team.port}/"}])
    page = context.new_page()
    alerts: list[str] = []
    errors: list[str] = []

    def watch(tab):
        tab.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
        tab.on("pageerror", lambda error: errors.append(str(error)))

    watch(page)
    traffic: list[str] = []
    page.on(
        "response",
        lambda r: traffic.append(f"{r.request.method} {r.url} {r.status}") if "studio-collab" in r.url else None,
    )
    try:
        page.goto(f"{alice.url}lab/tree/{NAME.replace('<', '%3C').replace('>', '%3E')}?token={alice.token}")
        page.wait_for_selector(".jp-NotebookPanel-toolbar", timeout=60_000)
        share_button = page.locator('.jp-NotebookPanel-toolbar [data-command="studio-collab:share-notebook"]')
        share_button.get_by_text("Share").wait_for(timeout=60_000)
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)  # the notebook has loaded
        share_button.click()

        dialog = page.locator(".jp-Dialog")
        spaces = dialog.get_by_label("Shared space")  # the shared spaces of the domain, from GET spaces
        spaces.wait_for(timeout=30_000)
        assert spaces.locator("option").all_inner_texts() == ["Team space (team-space)"]
        dialog.get_by_label("Include outputs").check()
        screenshot(page, "share-dialog.png")
        with page.expect_response(
            lambda r: urlsplit(r.url).path.endswith("/studio-collab/shares") and r.request.method == "POST",
            timeout=60_000,
        ) as created:
            dialog.get_by_role("button", name="Share").click()
        assert created.value.status == 202  # a background job, followed with progress in the notification
        toast = page.locator(".Toastify__toast", has_text="copied to the clipboard")
        toast.wait_for(timeout=60_000)
        assert NAME in toast.inner_text()  # the name shows as text, not as an image
        link = page.evaluate("navigator.clipboard.readText()")
        # The link opens the shared space's JupyterLab itself, which asks about the import in a dialog.
        assert link.startswith(f"{team.url}lab?studio-collab-import=")
        share_id = link.split("studio-collab-import=", 1)[1]
        shown = page.locator(".jp-Dialog .jp-StudioCollab-shareLinkField").first  # the link is shown, not only copied
        assert shown.input_value() == link and shown.get_attribute("readonly") is not None
        page.locator(".jp-Dialog").get_by_role("button", name="Done").click()

        # The colleague's JupyterLab, with a layout of their own: a file open in the default workspace.
        alice_page, page = page, context.new_page()
        watch(page)
        (team.root_dir / "mine.txt").write_text("the recipient's own file\n")
        page.goto(f"{team.url}lab/tree/mine.txt?token={team.token}")
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="mine.txt").wait_for(timeout=60_000)
        wait_workspace_saved(team, lambda data: "mine.txt" in json.dumps(data))  # what their reload restores
        # They open the link (their token stands for their Studio login).
        page.goto(f"{link}&token={team.token}")
        dialog = page.locator(".jp-Dialog")
        dialog.locator(".jp-Dialog-header", has_text=f"alice shared {NAME}").wait_for(timeout=60_000)
        assert dialog.locator(".jp-Dialog-header").inner_text() == f"alice shared {NAME}"
        assert "outputs included" in dialog.inner_text()
        assert "studio-collab-import" not in page.url  # cleaned before asking: a reload does not ask again
        assert list((team.root_dir).rglob("*.ipynb")) == [], "asking imports nothing"
        screenshot(page, "share-import-dialog.png")
        with page.expect_response(
            lambda r: urlsplit(r.url).path.endswith("/import") and r.request.method == "POST"
        ) as started:
            dialog.get_by_role("button", name="Import").click()
        assert started.value.status == 202  # a job, followed in a notification, then the copy opens
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=NAME).wait_for(timeout=60_000)
        # Read the copy now, before the shared space's collaborative JupyterLab opens (and re-saves) it.
        imported = nbformat.read(team.root_dir / "shared" / "alice" / NAME, as_version=4)
        assert [(c.source, c.get("outputs")) for c in imported.cells] == [
            (c.source, c.get("outputs")) for c in content.cells
        ]
        assert sum(len(c.get("outputs", [])) for c in imported.cells) == 4
        # Same workspace: the recipient's own tab is still there and the address is the plain lab.
        assert page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="mine.txt").count() == 1
        # (JupyterLab's router may then name the opened notebook, /lab/tree/…; never another workspace)
        path = urlsplit(page.url).path
        assert path.startswith("/jupyterlab/default/lab") and "/workspaces/" not in path, page.url
        assert "studio-collab-import" not in page.url
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
        screenshot(page, "share-imported.png")

        # Without JavaScript the server's page still imports: it is themed and speaks in sentences.
        fallback = context.new_page()
        watch(fallback)
        fallback.goto(f"{team.url}studio-collab/import?share={share_id}&token={team.token}")
        heading = fallback.locator("#heading")
        heading.wait_for(timeout=30_000)
        assert heading.text_content() == f"alice shared {NAME}"
        assert fallback.locator("#details").inner_text().count("included") == 1
        screenshot(fallback, "share-import-page.png")
        fallback.close()

        # Back in alice's JupyterLab: her share is listed by name (as text) and she revokes it.
        alice_page.bring_to_front()
        show_panel(alice_page)
        row = alice_page.locator(".jp-StudioCollab-share", has_text=NAME)
        row.wait_for(timeout=30_000)
        assert row.locator(".jp-StudioCollab-shareName").text_content() == NAME
        row.get_by_role("button", name="Revoke").click()
        alice_page.locator(".jp-Dialog").get_by_role("button", name="Revoke").click()
        row.wait_for(state="detached", timeout=30_000)  # revoked shares leave the list, behind a filter
        alice_page.get_by_label("Show 1 revoked or expired share").check()
        row.locator(".jp-StudioCollab-shareState", has_text="revoked").wait_for(timeout=30_000)
        screenshot(alice_page, "share-panel.png")
        late = context.new_page()  # someone opening the link now
        watch(late)
        gone = late.goto(f"{team.url}studio-collab/import?share={share_id}&token={team.token}")
        assert gone.status == 410
        assert late.locator("#heading").text_content() == "This share is no longer available"
        assert "share_revoked" not in late.locator("main, body").first.inner_text().split("Details:")[0]
        # In the lab, the revoked link says so in a sentence; the code only on the details line.
        late.goto(f"{link}&token={team.token}")
        message = late.locator(".jp-Dialog .jp-StudioCollab-errorMessage")
        message.wait_for(timeout=60_000)
        assert "revoked this share" in message.inner_text() and "share_revoked" not in message.inner_text()
        assert late.locator(".jp-Dialog .jp-StudioCollab-errorCode").inner_text() == "share_revoked"
    except Exception:
        for index, tab in enumerate(context.pages):
            screenshot(tab, f"share-failure-{index}.png")  # what the browser showed, for the CI artifacts
        print("studio-collab requests:", "\n".join(traffic))
        raise
    finally:
        context.close()
    assert alerts == [] and errors == []
