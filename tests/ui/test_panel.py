"""The side panel in Debian chromium: JupyterLab's SidePanel with a title, Refresh, collapsible sections whose
open state survives a reload, no horizontal overflow at the default sidebar width nor at 230 px, and the
Experiments tab opened from the command palette."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.ui.conftest import open_experiments, open_panel, screenshot, settled, show_panel, wait_workspace_saved

DOCS = Path(__file__).resolve().parents[2] / "docs"
SECTIONS = ["This space", "Repositories", "Shares", "Experiments", "Cost"]

# Every element of the panel that is not meant to clip: its content must fit its width. Elements that clip
# on purpose (overflow hidden, text-overflow ellipsis) are cut by design and are not overflow.
OVERFLOWING = """root => [...root.querySelectorAll('*')].filter(e => {
  const style = getComputedStyle(e);
  if (style.display === 'none' || e.getClientRects().length === 0) return false;
  if (['hidden', 'clip'].includes(style.overflowX)) return false;
  if (e.closest('svg')) return false;
  return e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0;
}).map(e => `${e.tagName}.${e.className} ${e.scrollWidth}>${e.clientWidth}`)"""


def own_warnings(page) -> list[str]:
    return [
        m
        for m in page.console_messages
        if m[0] in ("warning", "error")
        and (
            "studio-collab" in m[1].lower()
            or "studio_collab" in m[1]
            or "studiocollab" in m[1].lower()
            or m[1].startswith("WARN")
            or "/extensions/studio-collab/" in m[2]
        )
    ]


def sidebar_width(page, width: int) -> None:
    """Drag the split handle between the left sidebar and the main area to `width` px. JupyterLab's sidebars
    stop at --jp-sidebar-min-width (250 px by default); a theme may set less, as this does."""
    page.evaluate(
        "() => { document.documentElement.style.setProperty('--jp-sidebar-min-width', '200px');"
        " document.getElementById('jp-left-stack').style.minWidth = '200px';"
        " window.dispatchEvent(new Event('resize')); }"
    )
    # Lumino reads the minimum sizes when the split panel fits: hide and show the sidebar to make it fit again.
    for hidden in (True, False):
        page.locator("body").press("Control+b")
        page.locator("#jp-left-stack").wait_for(state="hidden" if hidden else "visible", timeout=10_000)
    panel = page.locator(".jp-StudioCollab-panel")
    box = panel.bounding_box()
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    hb = handle.bounding_box()
    page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + width, hb["y"] + hb["height"] / 2, steps=5)
    page.mouse.up()
    page.wait_for_function(
        "w => Math.abs(document.querySelector('.jp-StudioCollab-panel').getBoundingClientRect().width - w) <= 2",
        arg=width,
        timeout=5_000,
    )


def test_panel_is_a_jupyterlab_side_panel(page, lab):
    page.console_messages = []
    page.on("console", lambda m: page.console_messages.append((m.type, m.text, m.location.get("url", ""))))
    open_panel(page, lab)
    panel = page.locator(".jp-StudioCollab-panel")
    panel.locator(".jp-StudioCollab-header").get_by_text("Not running in SageMaker Studio.").wait_for(timeout=15_000)
    assert "jp-SidePanel" in panel.get_attribute("class")
    assert panel.locator(".jp-SidePanel-header").inner_text().strip().lower() == "studio collab"
    titles = panel.locator(".jp-AccordionPanel-title")
    assert [t.strip().lower() for t in titles.all_inner_texts()] == [s.lower() for s in SECTIONS]
    # small uppercase headers, as in the Running and Debugger panels
    assert titles.first.evaluate("e => getComputedStyle(e).textTransform") == "uppercase"
    assert panel.locator(".jp-SidePanel-toolbar [title='Refresh every section']").count() == 1

    # no horizontal overflow at the default width, then at 230 px
    default_width = panel.bounding_box()["width"]
    assert 230 < default_width < 400
    page.wait_for_function(
        "() => !document.querySelector('.jp-StudioCollab-panel').innerText.includes('Loading')", timeout=30_000
    )  # every section has its answer
    settled(page)
    assert panel.evaluate(OVERFLOWING) == []
    shot = screenshot(page, "panel-outside-studio.png")
    sidebar_width(page, 230)
    assert panel.evaluate(OVERFLOWING) == []

    # keyboard: a section collapses with Enter on its title, and stays collapsed after a reload
    repositories = titles.nth(1)
    repositories.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => !document.querySelectorAll('.jp-StudioCollab-panel .jp-AccordionPanel-title')[1]"
        ".classList.contains('lm-mod-expanded')"
    )
    wait_workspace_saved(lab, lambda data: data.get("studio-collab:panel", {}).get("collapsed"))
    page.reload()
    page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
    show_panel(page)
    titles = page.locator(".jp-StudioCollab-panel .jp-AccordionPanel-title")
    page.wait_for_function(
        "() => { const t = document.querySelectorAll('.jp-StudioCollab-panel "
        ".jp-AccordionPanel-title'); return t.length === 5 && !t[1].classList.contains("
        "'lm-mod-expanded') && t[2].classList.contains('lm-mod-expanded'); }",
        timeout=15_000,
    )

    # Experiments: a main-area tab opened from the command palette
    body = open_experiments(page)
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Experiments")
    assert tab.count() == 1
    assert body.is_visible()

    assert shot.stat().st_size > 10_000
    (DOCS / "screenshots").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, DOCS / "screenshots" / "panel.png")
    assert page.console_errors == []
    assert own_warnings(page) == []
