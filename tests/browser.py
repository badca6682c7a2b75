"""Pages in a real browser: the product served as the Procfile serves it, Debian's Chromium
driven by Playwright, logged in as the demo account of a role.

Its fixtures (`site`, `page_as`) are registered for every test by conftest.py (pytest_plugins).
The site lives in the demo week (`HOTLINE_CLOCK_START`): its clock starts on Tuesday
2026-12-01 08:00 Berlin and runs on. Screenshots go to docs/screens/ only when
HOTLINE_SCREENSHOTS=1, so an ordinary run leaves the checkout as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from realserver import PYTHONPATH, TESTS, Server, serving

CHROMIUM = os.environ.get("HOTLINE_CHROMIUM", "/usr/bin/chromium")
SCREENS = TESTS.parent / "docs" / "screens"
START = "2026-12-01T08:00"
ACCOUNTS = {  # role: (e-mail, password) of the demo accounts (hotline/accounts.py DEMO)
    "admin": ("admin@demo.example", "demo-admin-2026"),
    "dispatcher": ("dispo@demo.example", "demo-dispo-2026"),
    "project_lead": ("anna@demo.example", "demo-lead-2026"),
    "engineer": ("jonas@demo.example", "demo-engineer-2026"),
}


@dataclass
class Site:
    server: Server
    env: dict[str, str]
    folder: Path

    @property
    def base(self) -> str:
        return self.server.base

    def flask(self, *args: str) -> str:
        """A flask command against the site's database; its output (it must succeed)."""
        done = subprocess.run(
            [sys.executable, "-m", "flask", *args], env=self.env, cwd=self.folder,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, f"flask {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The demo, served: a fresh SQLite database with `seed-demo --week 2026-11-30`."""
    instance = tmp_path / "instance"
    instance.mkdir()
    env = {
        **os.environ,
        "FLASK_APP": "hotline",
        "PYTHONPATH": PYTHONPATH,
        "HOTLINE_DEVELOPMENT": "1",
        "HOTLINE_INSTANCE": str(instance),
        "HOTLINE_CLOCK_START": START,
        "SECRET_KEY": "real-server",
        "TWILIO_AUTH_TOKEN": "real-server-token-0123456789abcdef",
    }
    for name in ("DATABASE_URL", "TWILIO_ACCOUNT_SID", "HOTLINE_SMTP_HOST"):
        env.pop(name, None)
    made = Site(None, env, tmp_path)  # type: ignore[arg-type]
    made.flask("init-db")
    made.flask("seed-demo", "--week", "2026-11-30")
    settings = {"HOTLINE_INSTANCE": str(instance), "HOTLINE_CLOCK_START": START}
    with serving(tmp_path, settings) as server:
        made.server = server
        made.env["HOTLINE_PUBLIC_URL"] = server.public
        yield made


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run bin/setup-tools (as root)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page_as(site: Site, chromium: Any) -> Iterator[Callable[..., Any]]:
    """`page_as("dispatcher", width=412)`: a German page logged in as that demo account."""
    contexts = []

    def open_page(role: str, width: int = 1280) -> Any:
        context = chromium.new_context(
            locale="de-DE", timezone_id="Europe/Berlin",
            viewport={"width": width, "height": 900 if width > 600 else 860},
        )  # fmt: skip
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        email, password = ACCOUNTS[role]
        page.goto(f"{site.base}/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert "/login" not in page.url, f"{role} could not log in: {page.content()[:2000]}"
        return page

    yield open_page
    for context in contexts:
        context.close()


def shot(page: Any, name: str) -> None:
    """docs/screens/NAME.png, when HOTLINE_SCREENSHOTS=1 (the README links them)."""
    if os.environ.get("HOTLINE_SCREENSHOTS") == "1":
        SCREENS.mkdir(parents=True, exist_ok=True)
        # A full-page shot leaves a sandboxed frame (its own process) blank below the first
        # screen: the window is made as tall as the page for the shot.
        size = page.viewport_size
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size({"width": size["width"], "height": height})
        for frame in page.locator("iframe").all():
            frame.content_frame.locator("body *").first.wait_for()
        page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
        page.set_viewport_size(size)
