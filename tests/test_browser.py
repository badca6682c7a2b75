"""The browser fixtures themselves: every demo account logs in through the real login form in
Chromium, and a wrong password stays on the login page with a German message."""

from __future__ import annotations

from typing import Any

import pytest
from browser import ACCOUNTS, Site


@pytest.mark.parametrize("role", sorted(ACCOUNTS))
def test_every_demo_account_logs_in_in_a_real_browser(page_as: Any, role: str) -> None:
    page = page_as(role, width=412)
    assert page.locator("html").get_attribute("lang") == "de"
    assert "Abmelden" in page.content()


def test_a_wrong_password_stays_on_the_login_page(site: Site, page_as: Any) -> None:
    page = page_as("dispatcher").context.new_page()
    page.context.clear_cookies()
    page.goto(f"{site.base}/login")
    page.fill("input[name=email]", "dispo@demo.example")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert "/login" in page.url
    assert "Anmeldung fehlgeschlagen" in page.content()
