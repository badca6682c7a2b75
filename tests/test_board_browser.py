"""In Chromium, as the dispatcher: the board is open when an emergency comes in; it appears
without a reload (the poll), opens, and is resolved with its work minutes. Also at 412 px."""

from __future__ import annotations

from typing import Any

from browser import Site, shot

NO_RELOAD = "window.__loaded"


def test_an_emergency_appears_live_and_is_resolved(site: Site, page_as: Any) -> None:
    page = page_as("dispatcher")
    page.goto(f"{site.base}/board")
    assert "Kein Notfall in Arbeit." in page.locator("#emergencies").inner_text()
    page.evaluate(f"{NO_RELOAD} = true")  # gone if the page were loaded again
    site.flask(
        "simulate-call", "--from", "030 2345678", "--at", "2026-12-01T07:50", "--talk", "60"
    )  # fmt: skip  (Jonas accepts)
    emergency = page.locator("#emergencies .item", has_text="#1")
    # the poll brings it within 2 s (the machine may be slow); a poll during the simulated call
    # may show it still ringing, the next one connected
    page.locator("#emergencies .item", has_text="Verbunden mit Jonas Weber").wait_for(timeout=5_000)
    assert page.evaluate(NO_RELOAD) is True
    assert page.locator("#stale").is_hidden()  # the poll is answered
    text = emergency.inner_text()
    assert "Verbunden mit Jonas Weber seit" in text and "Anrufer wartete" in text
    shot(page, "board")

    emergency.locator("a").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/tickets/1")
    assert "Angenommen von Jonas Weber" in page.locator("main").inner_text()
    page.fill("#work_minutes", "20")
    page.fill("#resolve_notes", "Switch neu gestartet")
    page.get_by_role("button", name="Lösen").click()
    page.wait_for_load_state()
    assert "Gelöst, 20 min Arbeit erfasst." in page.locator("[role=status]").inner_text()
    assert "gelöst" in page.locator("#timeline").inner_text()
    shot(page, "ticket")

    page.goto(f"{site.base}/board")
    assert "Kein Notfall in Arbeit." in page.locator("#emergencies").inner_text()
    page.goto(f"{site.base}/tickets?state=resolved")
    assert page.locator("#tickets a", has_text="#1").count() == 1
    shot(page, "tickets")


def test_the_board_and_the_tickets_fit_a_phone(site: Site, page_as: Any) -> None:
    site.flask("simulate-call", "--from", "030 2345678", "--at", "2026-12-01T07:50",
               "--talk", "60")  # fmt: skip
    page = page_as("dispatcher", width=412)
    for path in ("/board", "/tickets", "/tickets/1"):
        page.goto(f"{site.base}{path}")
        wide = page.evaluate("document.scrollingElement.scrollWidth")
        assert wide <= 412, f"{path} is {wide} px wide"
    page.goto(f"{site.base}/board")
    assert page.locator("#emergencies .item", has_text="#1").is_visible()
    shot(page, "board-phone")
