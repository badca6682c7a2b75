"""`/hours` in a real browser: an engineer on a phone enters their time through the form (its
CSRF token and date field as Chromium sends them); a project lead sees it with the imported
CSV's entries, escaped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from browser import Site, shot

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "hours.csv"


def test_an_engineer_enters_time_on_a_phone_and_the_lead_sees_it(site: Site, page_as: Any) -> None:
    page = page_as("engineer", width=412)
    page.goto(f"{site.base}/hours")
    assert page.locator("h1").inner_text().startswith("Stunden")
    page.select_option("select[name=customer]", "10042")
    page.fill("input[name=minutes]", "25")
    page.fill("input[name=topic]", "Outlook-Profil <neu> angelegt")
    page.fill("input[name=reference]", "T-2026-1299")
    page.click("form.card button[type=submit]")
    row = page.locator("tbody tr", has_text="Outlook-Profil <neu> angelegt")
    assert row.count() == 1 and "25" in row.inner_text()
    shot(page, "hours-phone")

    assert "7 added" in site.flask("import-hours", str(EXAMPLE), "--at", "2026-12-04T17:00")
    lead = page_as("project_lead")
    lead.goto(f"{site.base}/hours?month=2026-12")
    text = lead.content()
    assert "Server-Migration: Daten kopiert" in text and "Outlook-Profil &lt;neu&gt;" in text
    assert lead.locator("tbody tr").count() >= 8
    shot(lead, "hours")
