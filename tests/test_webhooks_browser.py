"""The admin's delivery log in a real browser, on a phone: a delivery Zammad refused is read,
sent again with the page's button, and then shows as delivered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser import Site, shot
from receiver import Receiver

SECRET, TOKEN = "browser-signing-secret", "browser-zammad-token"


@pytest.fixture
def zammad(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A Zammad played locally, and the settings the demo's zammad target names (set before
    the site starts, so its server reads them too)."""
    monkeypatch.setenv("HOTLINE_WEBHOOK_ZAMMAD_TOKEN", TOKEN)
    monkeypatch.setenv("HOTLINE_WEBHOOK_ZAMMAD_SECRET", SECRET)
    played = Receiver(SECRET).start()
    yield played
    played.stop()


def test_an_admin_sends_a_refused_delivery_again_on_a_phone(
    zammad: Receiver, site: Site, page_as: Any
) -> None:
    site.flask("seed-demo", "--week", "2026-11-30", "--zammad", zammad.url)
    zammad.answers.append(401)  # the first request: a token Zammad refused
    site.flask("simulate-call", "--from", "030 1234567")  # delivers as the call runs
    page = page_as("admin", width=412)
    page.goto(f"{site.base}/webhooks")
    assert page.locator("h1").inner_text().startswith("Webhooks")
    assert "HOTLINE_WEBHOOK_ZAMMAD_TOKEN gesetzt" in page.content()
    failed = page.locator("tr", has_text="emergency.opened")
    assert "fehlgeschlagen" in failed.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 412, f"the page is {width} px wide at 412"
    shot(page, "webhooks")
    failed.locator("a").first.click()
    assert "HTTP 401" in page.locator("table").inner_text()
    page.click("button:has-text('Erneut senden')")
    assert "wird erneut gesendet" in page.content()
    assert "1 delivered" in site.flask("webhooks", "--send", "--at", "2026-12-01T12:00")
    page.reload()
    assert "zugestellt" in page.locator("h1").inner_text()
    assert [r.path for r in zammad.requests][-1] == "/api/v1/ticket_articles"  # to its ticket
