"""In Chromium, as the dispatcher: an emergency displaces Jonas's appointment #10; the page
offers suggested slots, a click shows the customer's message, a second click reschedules it,
and the message is in the outbox."""

from __future__ import annotations

import re
from typing import Any

from browser import Site, shot


def test_the_dispatcher_reschedules_a_displaced_appointment(site: Site, page_as: Any) -> None:
    site.flask("simulate-call", "--from", "030 2345678", "--at", "2026-12-01T08:30",
               "--talk", "1500")  # fmt: skip
    site.flask("check-displacements", "--at", "2026-12-01T08:31")
    page = page_as("dispatcher")
    page.goto(f"{site.base}/appointments")
    card = page.locator("article#a10")
    assert "Jonas Weber" in card.locator("h2").inner_text()
    assert card.locator("a.slot").count() >= 3
    shot(page, "appointments")
    slot = card.locator("a.slot").first
    chosen = slot.inner_text()  # "Di 01.12.2026 13:30 · Jonas Weber"
    when, engineer = (part.strip() for part in chosen.split("·"))

    slot.click()  # first click: the preview
    page.wait_for_load_state()
    assert re.search(r"/appointments/10/reschedule\?start=", page.url)
    assert page.locator("h2", has_text="Nachricht an den Kunden").is_visible()
    new = page.locator("p.call").inner_text()
    assert new.startswith(f"Neu: {when}") and new.endswith(engineer)
    subject = page.locator(".message strong").first.inner_text()
    assert subject.startswith("Ihr Termin wurde verschoben: neu am ")
    assert site.flask("outbox").count(subject) == 0  # looking sends nothing

    page.get_by_role("button", name="Verschieben und Kunden benachrichtigen").click()
    page.wait_for_load_state()
    assert page.url.endswith("/appointments")
    assert "Termin #10 verschoben auf" in page.locator("[role=status]").inner_text()
    assert page.locator("article#a10").count() == 0
    outbox = site.flask("outbox")
    [line] = [ln for ln in outbox.splitlines() if subject in ln]
    assert line.strip().startswith(subject)
    assert "kunde.example" in outbox.splitlines()[outbox.splitlines().index(line) - 1]
