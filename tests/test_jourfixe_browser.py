"""The JourFixe page in Chromium: a project lead on a phone and a dispatcher at a desk open a
customer's next status e-mail (hours past 80 % from imported support hours, an urgent request
still open), "Jetzt senden" puts it into the outbox, once, and the JourFixe before Christmas is
cancelled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from browser import Site, shot

# Support hours of the demo's first morning: 10042 (10 h quota) at 8.5 h.
HOURS = """Datum;Mitarbeiter;Kunde;Stunden;Thema;Ticketnummer
01.12.2026;Jonas Weber;10042;5,5;Server-Migration: Daten kopiert;T-2026-1201
01.12.2026;Anna Schmidt;10042;3;VPN für Außendienst;T-2026-1207
"""


def test_the_next_status_email_is_previewed_and_sent_once(
    site: Site, page_as: Any, tmp_path: Path
) -> None:
    csv = tmp_path / "stunden.csv"
    csv.write_text(HOURS, encoding="utf-8")
    assert "2 added" in site.flask("import-hours", str(csv), "--at", "2026-12-01T07:55")
    site.flask("simulate-call", "--from", "030 1234567", "--press", "3", "--message", "15",
               "--at", "2026-12-01T07:40")  # fmt: skip

    phone = page_as("project_lead", width=412)
    phone.goto(f"{site.base}/jourfixe")
    assert phone.locator("h1").inner_text() == "JourFixe und Status-E-Mails"
    row = phone.locator("#customer-10042")
    assert "alle 2 Wochen dienstags, 10:00 Uhr" in row.inner_text()
    assert "08.12.2026 10:00" in row.inner_text()
    row.locator("text=Vorschau").click()
    assert "Statusbericht zum JourFixe am 08.12.2026" in phone.locator("#subject").inner_text()
    assert phone.locator("#reply-to").inner_text() == "anna@solutionbar.example"
    text = phone.locator("#text").inner_text()
    assert "8,50 Std. von 10,00 Std. Stundenkontingent (85 %)" in text
    assert "dringende Anfrage per Telefon" in text and "Server-Migration: 5,50 Std." in text
    frame = phone.frame_locator("iframe.mail")
    assert "zu 85 % verbraucht" in frame.locator("p.notice").inner_text()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 412, f"the page is {width} px wide at 412"
    shot(phone, "jourfixe-412")

    desk = page_as("dispatcher")
    desk.goto(f"{site.base}/jourfixe/10042")
    assert "Noch keine Status-E-Mail" in desk.locator("#outbox").inner_text()
    desk.click("button:has-text('Jetzt senden')")
    desk.wait_for_url("**/jourfixe/10042")
    assert "liegt in der Ausgangspost" in desk.content()
    outbox = desk.locator("#outbox").inner_text()
    assert "Statusbericht zum JourFixe am 08.12.2026" in outbox
    # the next e-mail is now the one after the following JourFixe
    assert "Statusbericht zum JourFixe am 22.12.2026" in desk.locator("#subject").inner_text()
    # the one before Christmas does not take place: the next e-mail reports the one after it
    upcoming = desk.locator("#upcoming tr", has_text="22.12.2026")
    upcoming.locator("button:has-text('Fällt aus')").click()
    desk.wait_for_url("**/jourfixe/10042")
    assert "Der JourFixe am 22.12.2026 fällt aus" in desk.content()
    assert "fällt aus" in desk.locator("#upcoming tr", has_text="22.12.2026").inner_text()
    assert "Statusbericht zum JourFixe am 05.01.2027" in desk.locator("#subject").inner_text()
    shot(desk, "jourfixe")
    assert site.flask("outbox").count("Statusbericht zum JourFixe am 08.12.2026") == 1
    assert "Jetzt senden" not in page_as("engineer").goto(f"{site.base}/jourfixe/10042").text()
