"""`/report` in a real browser: a project lead reads the month's figures and its two charts,
on a desktop and on a phone."""

from __future__ import annotations

from typing import Any

from browser import Site, shot


def test_a_project_lead_reads_the_month_with_its_charts(site: Site, page_as: Any) -> None:
    site.flask("simulate-call", "--from", "030 2345678", "--at", "2026-12-01T08:30", "--live")
    site.flask("simulate-call", "--from", "030 1234567", "--at", "2026-12-05T03:10",
               "--others", "no-answer", "--live")  # fmt: skip
    page = page_as("project_lead")
    page.goto(f"{site.base}/report?month=2026-12")
    assert page.locator("h1").inner_text().startswith("Bericht")
    assert page.locator("#calls").inner_text() == "2"
    assert page.locator("#voicemails").inner_text() == "1 (50,0 %)"
    assert page.locator("svg#on-call rect").count() > 4
    assert page.locator("svg#per-customer rect").count() == 2
    assert page.locator("svg#on-call").bounding_box()["width"] > 600
    shot(page, "report")
    phone = page_as("project_lead", width=412)
    phone.goto(f"{site.base}/report?month=2026-12")
    box = phone.locator("svg#on-call").bounding_box()
    assert 0 < box["width"] <= 412  # the chart shrinks with the screen
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 412  # the page never scrolls sideways (the table scrolls in its box)
    shot(phone, "report-phone")
