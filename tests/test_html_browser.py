"""The HTML report in a real Chromium: reads on a phone, opens without JS, fetches nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

# The report fixture (findings of every status, long URLs, <script> evidence) is shared.
from test_renderers import MUST_FIX_IN_LAUNCH_ORDER, report  # noqa: F401

from launchready.core.findings import Report
from launchready.renderers import html

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture
def report_file(report: Report, tmp_path: Path) -> Path:  # noqa: F811
    path = tmp_path / "report.html"
    path.write_text(html.render(report), encoding="utf-8")
    return path


def _open(browser: Browser, path: Path, viewport: ViewportSize) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport=viewport)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    return page, requests


def test_must_fix_first_and_expandable(browser: Browser, report_file: Path) -> None:
    page, requests = _open(browser, report_file, DESKTOP)
    section = page.locator("#must-fix")
    expect(section).to_be_visible()
    # The launch plan is the first thing after the header.
    assert page.evaluate("document.querySelector('main > section').id") == "must-fix"
    titles = section.locator(".finding.must-fix > summary .title").all_inner_texts()
    assert titles == MUST_FIX_IN_LAUNCH_ORDER

    first = section.locator(".finding.must-fix").first
    remediation = first.locator(".remediation")
    expect(remediation).to_be_hidden()
    first.locator("summary").click()
    expect(remediation).to_be_visible()
    expect(remediation).to_have_text("fix for Certificate expires in 3 days")

    page.screenshot(path=str(report_file.with_name("desktop.png")), full_page=True)
    page.screenshot(path="/tmp/report-desktop.png", full_page=True)
    assert requests == [report_file.as_uri()]
    page.close()


def test_phone_layout_has_no_horizontal_scroll(browser: Browser, report_file: Path) -> None:
    page, requests = _open(browser, report_file, PHONE)
    # The widest content (long URLs, unbroken tokens) hides in closed <details>: open all.
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1
    # Nothing inside may overflow its box either (overflow:hidden would hide that).
    overflowing = page.evaluate(
        """[...document.querySelectorAll('main *')]
             .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
             .map(e => e.tagName + '.' + e.className)"""
    )
    assert overflowing == []
    page.screenshot(path=str(report_file.with_name("phone.png")), full_page=True)
    page.screenshot(path="/tmp/report-phone.png", full_page=True)
    assert requests == [report_file.as_uri()]
    page.close()
