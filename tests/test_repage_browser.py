"""In Chromium at 412 px: an engineer opens a voicemail's ticket and presses Zurückrufen (on the
demo, without a Twilio account, the page says what it needs); the directory shows every phone."""

from __future__ import annotations

from typing import Any

from browser import Site


def test_zurueckrufen_on_a_phone(site: Site, page_as: Any) -> None:
    site.flask("simulate-call", "--from", "030 1234567", "--others", "no-answer", "--message", "30",
               "--at", "2026-12-01T03:00")  # fmt: skip
    page = page_as("engineer", width=412)  # jonas, first on the chain
    page.goto(f"{site.base}/tickets/1")
    button = page.locator("#call-back button")
    assert button.inner_text() == "Zurückrufen"
    box = button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 412
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 412
    button.click()
    page.wait_for_load_state()
    assert "braucht ein Twilio-Konto" in page.locator("p.card").first.inner_text()
    page.goto(f"{site.base}/directory")
    engineers = page.locator("#engineers + .scroll").inner_text()
    assert "030 5550901" in engineers and "Festnetz" in engineers  # Anna's landline
