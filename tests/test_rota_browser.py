"""In Chromium: the rota's pictures on a desktop and on a phone, and an engineer copies their
calendar-feed address with the copy button (a script file: the CSP allows no inline script)."""

from __future__ import annotations

from typing import Any

from browser import Site, shot


def test_the_rota_on_a_desktop_and_a_phone(site: Site, page_as: Any) -> None:
    desk = page_as("dispatcher")
    desk.goto(f"{site.base}/rota")
    assert desk.locator("section.team svg").count() == 3
    assert desk.locator("section.team svg g.override").count() == 1  # the demo's Wednesday night
    assert desk.locator("section#now-blau").inner_text().count("Jonas Weber") == 1
    shot(desk, "rota")

    phone = page_as("engineer", width=412)
    phone.goto(f"{site.base}/rota")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 412  # the page fits; only the pictures scroll sideways
    assert phone.locator("form[action$='/rota/overrides']").count() == 0
    shot(phone, "rota-412")

    phone.click("text=Meine Schichten, Termine und Kalender-Abo")
    phone.wait_for_load_state()
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"])
    address = phone.locator("#feed-engineer").input_value()
    assert address.startswith(site.base.rstrip("/") + "/calendar/engineer/")
    phone.locator("button[data-copy=feed-engineer]").click()
    phone.wait_for_function("document.querySelector('[data-copy=feed-engineer]').textContent"
                            " === 'kopiert'")  # fmt: skip
    assert phone.evaluate("navigator.clipboard.readText()") == address
