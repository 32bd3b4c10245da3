"""Cost in JupyterLab's status bar, Stop's confirmation in words, and the theme-following charts, in Debian
chromium on the local Studio world (the emulator's call journal is the truth for "nothing was stopped")."""

from __future__ import annotations

import re

import pytest

from tests.helpers import wait_until
from tests.servers import start_lab
from tests.ui.conftest import (  # fixtures among them
    browser,
    open_experiments,
    open_panel,
    page,
    run_command,
    screenshot,
    settled,
    use_theme,
)
from tests.ui.test_panel import OVERFLOWING, own_warnings

pytestmark = pytest.mark.ui

CONTRAST = """svg => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let host = svg; let bg = 'rgba(0, 0, 0, 0)';
  while (host && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) { bg = getComputedStyle(host).backgroundColor; host = host.parentElement; }
  const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim());
  return { count: texts.length, worst: Math.min(...texts.map(t => {
    const a = lum(getComputedStyle(t).fill), b = lum(bg);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); })) };
}"""


@pytest.fixture
def studio_lab(world_env, tmp_path):
    server = start_lab(tmp_path / "root", args=["--StudioCollabApp.cost_cache_ttl_seconds=1"])
    yield server
    server.stop()


def test_status_item_stop_confirmation_and_dark_chart(page, studio_lab, world_env):
    page.console_messages = []
    page.on("console", lambda m: page.console_messages.append((m.type, m.text, m.location.get("url", ""))))
    open_panel(page, studio_lab)

    # The status bar: my burn rate and the idle-stop countdown; a click opens the Cost section.
    item = page.locator(".jp-StatusBar-Widget .jp-StudioCollab-costStatus")
    item.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => /idle stop in \\d+ min/.test(document.querySelector('.jp-StudioCollab-costStatus')?.textContent ?? '')",
        timeout=30_000,
    )
    assert re.fullmatch(r"\$0\.28/h · idle stop in \d+ min", item.inner_text())
    titles = page.locator(".jp-StudioCollab-panel .jp-AccordionPanel-title")
    titles.nth(4).click()  # collapse Cost, then let the status bar open it again
    page.wait_for_function(
        "() => !document.querySelectorAll('.jp-StudioCollab-panel .jp-AccordionPanel-title')[4]"
        ".classList.contains('lm-mod-expanded')"
    )
    item.click()
    page.wait_for_function(
        "() => document.querySelectorAll('.jp-StudioCollab-panel .jp-AccordionPanel-title')[4]"
        ".classList.contains('lm-mod-expanded')"
    )
    section = page.locator("[data-section='cost']")
    section.locator(".jp-StudioCollab-burnRate").wait_for(timeout=30_000)
    # with the demo world's repos, resources and runs, nothing in the panel overflows its default width
    page.locator("[data-section='git'] .jp-StudioCollab-repo").first.wait_for(timeout=30_000)
    overflowing = page.locator(".jp-StudioCollab-panel").evaluate(OVERFLOWING)
    assert overflowing == [], "\n".join(overflowing)
    # each detail of a resource (instance type, owner, uptime) on one line: "ml.m5.xlarge", not "ml.m5.xlar / ge"
    broken = section.locator(".jp-StudioCollab-costTable").evaluate(
        """table => [...table.querySelectorAll('.jp-StudioCollab-costPart')].filter(part => {
             const range = document.createRange(); range.selectNodeContents(part);
             const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
             return lines.size > 1 && part.getBoundingClientRect().width < part.parentElement.clientWidth - 1;
           }).map(part => part.textContent)"""
    )
    assert section.locator(".jp-StudioCollab-costPart", has_text="ml.").count() > 0
    assert broken == [], broken

    # Stop: a standard warn button; the confirmation names the app, the space and the price.
    team = section.locator("tr[data-name='team-space/JupyterLab/default']")
    stop = team.get_by_role("button", name=re.compile("Stop"))
    # its accessible name reads like the confirmation, not Studio's id triple
    assert stop.get_attribute("aria-label") == "Stop JupyterLab in team-space"
    assert "jp-Button" in stop.get_attribute("class")
    price = team.locator("td").nth(1).inner_text().split()[0]  # e.g. "$0.230"
    stop.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    title = dialog.locator(".jp-Dialog-header").inner_text()
    assert re.fullmatch(r"Stop JupyterLab in team-space — \$0\.23\d*/h\?", title), title
    assert float(price.lstrip("$")) == pytest.approx(float(re.search(r"\$([\d.]+)/h", title).group(1)))
    assert "Unsaved work in that space is lost." in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="detached")

    # ...and on the app I am in, a stronger warning with its own button.
    mine = section.locator(f"tr[data-name='{world_env.space_name}/JupyterLab/default']")
    mine.get_by_role("button", name=re.compile("Stop")).click()
    dialog.wait_for()
    assert "This is the app you are using now" in dialog.inner_text()
    assert dialog.get_by_role("button", name="Stop this app").count() == 1
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="detached")
    assert world_env.calls().get("sagemaker:DeleteApp", 0) == 0  # cancelled: nothing was stopped

    # Keyboard: ↑/↓ move between the rows of a list, to the same action of the next row, scrolled into view.
    stops = section.locator("tbody tr button.jp-StudioCollab-stopButton")
    assert stops.count() >= 2
    stops.nth(0).focus()
    page.keyboard.press("ArrowDown")
    focused = "() => document.activeElement.closest('tr')?.dataset.name"
    second = stops.nth(1).evaluate("b => b.closest('tr').dataset.name")
    assert page.evaluate(focused) == second
    assert page.evaluate("() => document.activeElement.classList.contains('jp-StudioCollab-stopButton')")
    page.keyboard.press("ArrowUp")
    assert page.evaluate(focused) == stops.nth(0).evaluate("b => b.closest('tr').dataset.name")
    screenshot(page, "cost-light.png")  # docs/screenshots: python -m tests.ui.screenshots

    # Dark theme: the chart's text follows the theme (contrast ≥ 4.5:1 against what it is drawn on).
    chart = section.locator(".jp-StudioCollab-costChart svg").first
    chart.wait_for(timeout=30_000)
    light = chart.evaluate(CONTRAST)
    assert light["count"] > 0 and light["worst"] >= 4.5, light
    use_theme(page, "JupyterLab Dark")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    # the chart redraws with the dark theme's colours: awaited (a deadline), never slept for
    seen: list[dict] = []

    def readable_on_dark():
        seen.append(chart.evaluate(CONTRAST))
        return seen[-1]["count"] > 0 and seen[-1]["worst"] >= 4.5

    try:
        wait_until(readable_on_dark, timeout=30, interval=0.25, what="the chart's text readable on the dark theme")
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}; last measured {seen[-1]}") from None
    screenshot(page, "cost-dark.png")

    # The Experiments tab in the dark theme: the runs table at full width beside the panel.
    body = open_experiments(page)
    body.locator("tbody tr[data-run-id]").first.wait_for(timeout=30_000)
    settled(page)
    screenshot(page, "experiments-dark.png")
    use_theme(page, "JupyterLab Light")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=30_000)
    settled(page)
    screenshot(page, "experiments-light.png")

    assert page.console_errors == []
    assert own_warnings(page) == []
