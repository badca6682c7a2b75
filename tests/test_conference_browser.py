"""In Chromium: a conference-bridge ticket, as the project lead who was pulled in, shows every
leg (who, from and to, the key pressed, when they were in the conference), also at 412 px."""

from __future__ import annotations

from typing import Any

from browser import Site, shot


def test_the_ticket_lists_every_leg_of_the_bridge(site: Site, page_as: Any) -> None:
    site.flask(
        "simulate-call", "--from", "030 2345678", "--conference", "--at", "2026-12-02T03:00",
        "--others", "voicemail", "--engineer", "david=accept", "--engineer", "anna=accept",
        "--star-after", "60", "--talk", "120",
    )  # fmt: skip
    for width, name in ((1280, "ticket-conference"), (412, "ticket-conference-phone")):
        page = page_as("project_lead", width=width)
        page.goto(f"{site.base}/tickets/1")
        legs = page.locator("#legs").inner_text()
        assert "David Richter" in legs and "Anna Schmidt (dazugeholt)" in legs
        assert "+49309876540 → +491715550101" in legs  # from the central number
        timeline = page.locator("#timeline").inner_text()
        assert "dazugeholt (Stern-Taste)" in timeline and "in der Konferenz" in timeline
        wide = page.evaluate("document.scrollingElement.scrollWidth")
        assert wide <= width, f"{wide} px wide at {width}"
        shot(page, name)
