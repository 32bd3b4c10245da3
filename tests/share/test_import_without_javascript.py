"""In Debian chromium with JavaScript off: the server's import page is the fallback of the lab's own import (issue
#20). It shows the share in sentences, themed with JupyterLab's CSS, and its plain form imports: a small file at
once, a large one through a job the page follows by refreshing itself; a revoked share says so in a sentence,
the code only on the details line. Judged by the files on disk (bytes, nbformat) and the browser's URL."""

from __future__ import annotations

import getpass
from urllib.parse import quote, unquote, urlsplit

import nbformat
import pytest
import requests

from tests.servers import start_lab
from tests.share.conftest import make_notebook
from tests.ui.conftest import browser, screenshot  # noqa: F401 - `browser` is a fixture

pytestmark = pytest.mark.ui


@pytest.fixture
def lab(tmp_path):
    server = start_lab(
        tmp_path / "root",
        env={"STUDIO_COLLAB_RESOURCE_METADATA": str(tmp_path / "absent.json")},
        args=[f"--StudioCollabApp.share_folder={tmp_path / 'store'}"],
    )
    yield server
    server.stop()


def share(server, path: str, **options) -> dict:
    answer = requests.post(
        server.api("shares"),
        json={"path": path, "include_outputs": True, **options},
        headers=server.headers,
        timeout=60,
    )
    assert answer.status_code in (201, 202), answer.text
    body = answer.json()
    if "share" in body:
        return body["share"]
    job = body["job"]
    while job["state"] in ("queued", "running"):
        job = requests.get(server.api(f"jobs/{job['id']}"), headers=server.headers, timeout=30).json()["job"]
    assert job["state"] == "succeeded", job
    return job["result"]["share"]


def opened_path(url: str, server) -> str:
    """The file JupyterLab was sent to open (lab/tree/<path>)."""
    path = urlsplit(url).path
    prefix = urlsplit(server.url).path + "lab/tree/"
    assert path.startswith(prefix), url
    return unquote(path[len(prefix) :])


def test_the_import_page_imports_without_javascript(browser, lab, tmp_path):  # noqa: F811
    author = getpass.getuser()
    small = make_notebook(lab.root_dir / "work" / "train.ipynb", output_bytes=3000)
    large = make_notebook(lab.root_dir / "work" / "big.ipynb", output_bytes=2000)
    content = nbformat.read(large, as_version=4)  # above the 8 MB job threshold: the import runs as a job
    content.cells[0].outputs.append(
        nbformat.v4.new_output("display_data", data={"application/x-bench": "y" * (9 << 20)})
    )
    nbformat.write(content, large)
    small_share, large_share = share(lab, "work/train.ipynb"), share(lab, "work/big.ipynb")

    context = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 800})
    page = context.new_page()
    responses: list[tuple[str, int]] = []
    page.on("response", lambda r: responses.append((r.url, r.status)))
    try:
        # --- a small file: shown in sentences, imported by the form, the browser sent to the copy
        answer = page.goto(f"{lab.url}studio-collab/import?share={small_share['id']}&token={lab.token}")
        assert answer.status == 200
        assert answer.headers["cache-control"] == "no-store" and answer.headers["x-content-type-options"] == "nosniff"
        assert "form-action 'self'" in answer.headers["content-security-policy"]
        assert page.locator("#heading").inner_text() == f"{author} shared train.ipynb"
        details = page.locator("#details").inner_text()
        assert "included" in details and "UTC" in details  # times as a person reads them, not ISO
        # themed with JupyterLab's own light theme, served by this server
        theme = [status for url, status in responses if "theme-light-extension/index.css" in url]
        assert theme == [200], responses
        screenshot(page, "share-import-no-javascript.png")
        page.get_by_role("button", name="Import into this space").click()
        page.wait_for_url("**/lab/tree/**", timeout=60_000)
        landed = opened_path(page.url, lab)
        assert landed == f"shared/{author}/train.ipynb"
        assert (lab.root_dir / landed).read_bytes() == small.read_bytes()

        # --- a large file: a job the page follows (meta refresh, no script), then the copy
        page.goto(f"{lab.url}studio-collab/import?share={large_share['id']}")
        page.get_by_role("button", name="Import into this space").click()
        page.wait_for_url("**/lab/tree/**", timeout=120_000)
        # through the job's page: a 200 that refreshes itself while the job runs, or at once a 303 to the copy when
        # the job had already finished
        assert any("job=" in url and status in (200, 303) for url, status in responses), "the page followed the job"
        landed = opened_path(page.url, lab)
        assert landed == f"shared/{author}/big.ipynb"
        copy = nbformat.read(lab.root_dir / landed, as_version=4)
        nbformat.validate(copy)
        assert (lab.root_dir / landed).read_bytes() == large.read_bytes()

        # --- the same link again: a second copy beside the first, never a replaced file
        page.goto(f"{lab.url}studio-collab/import?share={small_share['id']}")
        page.get_by_role("button", name="Import into this space").click()
        page.wait_for_url("**/lab/tree/**", timeout=60_000)
        again = opened_path(page.url, lab)
        assert again != f"shared/{author}/train.ipynb" and again.startswith(f"shared/{author}/")
        assert (lab.root_dir / again).read_bytes() == small.read_bytes()

        # --- revoked: a sentence and what to do; the code only on the details line
        assert requests.delete(lab.api(f"shares/{small_share['id']}"), headers=lab.headers, timeout=30).ok
        gone = page.goto(f"{lab.url}studio-collab/import?share={small_share['id']}")
        assert gone.status == 410
        assert page.locator("#heading").inner_text() == "This share is no longer available"
        text = page.locator("main").inner_text()
        before, details = text.split("Details:")
        assert "revoked this share" in before and "Ask them for a new link" in before
        assert "share_revoked" not in before and "share_revoked" in details
        assert page.get_by_role("button", name="Import into this space").count() == 0
        before_files = sorted(p.name for p in (lab.root_dir / "shared" / author).iterdir())

        # --- a form POST without the XSRF token acts on nothing
        refused = page.request.post(
            f"{lab.url}studio-collab/import?share={large_share['id']}", form={"unrelated": "1"}, max_redirects=0
        )
        assert refused.status == 403
        assert sorted(p.name for p in (lab.root_dir / "shared" / author).iterdir()) == before_files
    except Exception:
        screenshot(page, "share-import-no-javascript-failure.png")
        raise
    finally:
        context.close()


def test_the_import_link_without_a_login_goes_to_the_login(browser, lab):  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{lab.url}studio-collab/import?share={quote('A' * 22)}")
        assert "/login" in page.url
    finally:
        context.close()
