"""The office pages in a real browser: an admin uploads a changed directory, reads the preview
and applies it (the upload, the CSRF token and the confirmation as Chromium sends them); a
project lead opens the month's billing and a status e-mail's preview on a phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from browser import Site, shot


def test_an_admin_previews_and_applies_a_directory_change(
    site: Site, page_as: Any, tmp_path: Path
) -> None:
    data = yaml.safe_load(site.flask("export"))
    [mueller] = [c for c in data["customers"] if c["number"] == "10042"]
    mueller["name"] = "Müller & Söhne <Anlagenbau> GmbH"
    changed = tmp_path / "verzeichnis.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")

    page = page_as("admin")
    page.goto(f"{site.base}/directory")
    page.click("text=Verzeichnis importieren")
    page.set_input_files("input[name=file]", str(changed))
    page.click("text=Vorschau zeigen")
    preview = page.locator("#preview").inner_text()
    assert "geändert: 10042 Müller & Söhne <Anlagenbau> GmbH (name)" in preview
    assert "Neu" not in preview and "deaktiviert" not in preview  # only the one change
    assert "Müller & Söhne <Anlagenbau>" not in site.flask("export")  # nothing applied yet
    page.check("input[name=accept_warnings]")  # the demo's shared reception
    page.click("button:has-text('Übernehmen')")
    page.wait_for_url("**/directory")
    assert "Verzeichnis übernommen" in page.content()
    assert (
        page.locator("#customer-10042 h3")
        .inner_text()
        .startswith("Müller & Söhne <Anlagenbau> GmbH")
    )
    assert "Müller & Söhne <Anlagenbau> GmbH" in site.flask("export")
    shot(page, "directory")

    page.goto(f"{site.base}/accounts")
    assert page.locator("h1").inner_text() == "Konten"
    assert "anna@demo.example" in page.content()
    shot(page, "accounts")


def test_a_project_lead_opens_billing_on_a_phone(site: Site, page_as: Any) -> None:
    page = page_as("project_lead", width=412)
    page.goto(f"{site.base}/billing")
    assert page.locator("h1").inner_text().startswith("Abrechnung 12/2026")
    row = page.locator("tr", has_text="10042")
    assert row.count() == 1 and " h" in row.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 412, f"the page is {width} px wide at 412"
    shot(page, "billing")
    row.locator("text=Vorschau").click()
    assert "Statusbericht zum JourFixe am 08.12.2026" in page.locator("#subject").inner_text()
    assert "Guten Tag" in page.locator("#text").inner_text()


def test_every_office_page_fits_a_phone(site: Site, page_as: Any) -> None:
    """At 412 px no page is wider than the screen (a wide table scrolls in its own box)."""
    page = page_as("admin", width=412)
    for path in ("/", "/tickets", "/appointments", "/rota", "/directory", "/hours", "/jourfixe",
                 "/jourfixe/10042", "/billing", "/report", "/webhooks", "/accounts"):  # fmt: skip
        page.goto(f"{site.base}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 412, f"{path} is {width} px wide at 412"
