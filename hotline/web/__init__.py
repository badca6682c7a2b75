"""The pages of the people who run the hotline: dispatchers, project leads, engineers, admins.

Every page is a door into a service of `hotline/` (no rule of its own): verify who asks
(`access`), load, ask the service, render. German first; English per account (`words`).
"""

from __future__ import annotations

import importlib
from typing import Any

from flask import Blueprint, Flask, g, render_template
from flask_wtf.csrf import CSRFError

from escalation.access import Permission
from hotline.web import access
from hotline.web.words import WORDS, translate

web = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/web")  # fmt: skip
# The modules holding the routes, registered in this order.
PAGES = [
    "auth", "home", "ticket", "directory", "appointments", "hours", "board", "tickets", "report",
    "rota", "billing", "jourfixe", "accounts", "webhooks",
]  # fmt: skip
# The navigation: (endpoint, German label, permission); a page shows when its route exists.
NAV = [
    ("web.board", "Lagebild", Permission.BOARD),
    ("web.tickets", "Tickets", None),
    ("web.appointments", "Termine", Permission.APPOINTMENTS),
    ("web.rota", "Bereitschaft", Permission.ROTA),
    ("web.directory", "Verzeichnis", Permission.DIRECTORY),
    ("web.hours", "Stunden", Permission.HOURS),
    ("web.jourfixe", "JourFixe", Permission.STATUS_EMAIL),
    ("web.billing", "Abrechnung", Permission.BILLING),
    ("web.report", "Bericht", Permission.BILLING),
    ("web.accounts", "Konten", Permission.ACCOUNTS),
    ("web.webhooks", "Webhooks", Permission.ACCOUNTS),
]


def register(app: Flask) -> Blueprint:
    for page in PAGES:
        importlib.import_module(f"hotline.web.{page}")
    return web


@web.before_app_request
def _who() -> None:
    access.load_user()


@web.app_context_processor
def _globals() -> dict[str, Any]:
    from flask import current_app

    who = access.current()
    language = who.language if who else "de"
    nav = [
        (endpoint, label)
        for endpoint, label, permission in NAV
        if endpoint in current_app.view_functions
        and who is not None
        and who.kind == "user"
        and (permission is None or who.may(permission))
    ]
    return {
        "who": who,
        "_": lambda text: translate(text, language),
        "language": language,
        "words": WORDS,
        "nav": nav,
        "Permission": Permission,
    }


@web.app_template_filter("when")
def when(shown: str | None) -> str:
    """'2026-11-27T02:44:08+01:00' (local, from tickets.shown) as '27.11.2026 02:44'."""
    if not shown:
        return ""
    return f"{shown[8:10]}.{shown[5:7]}.{shown[:4]} {shown[11:16]}"


@web.app_template_filter("number")
def number(value: object) -> str:
    """A Decimal or int as Germans write it: `1234.50` as `1234,50`."""
    return str(value).replace(".", ",")


def problem(status: int, title: str, text: str) -> tuple[str, int]:
    return render_template("problem.html", title=title, text=text), status


@web.app_errorhandler(403)
def _forbidden(_: Exception) -> tuple[str, int]:
    return problem(403, "Kein Zugriff", "Diese Seite ist für Ihre Rolle nicht freigegeben.")


@web.app_errorhandler(404)
def _not_found(_: Exception) -> tuple[str, int]:
    return problem(404, "Nicht gefunden", "Diese Seite gibt es nicht (mehr).")


@web.app_errorhandler(413)
def _too_large(_: Exception) -> tuple[str, int]:
    from flask import current_app

    limit = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 2**20
    return problem(413, "Zu groß",
                   f"Die gesendeten Daten sind größer als {limit} MB. Ein größeres Verzeichnis "
                   "spielt die Administration mit „flask import“ ein.")  # fmt: skip


@web.app_errorhandler(CSRFError)
def _csrf(_: Exception) -> tuple[str, int]:
    return problem(400, "Formular abgelaufen",
                   "Das Formular war zu alt. Bitte laden Sie die Seite neu und senden Sie es "
                   "noch einmal.")  # fmt: skip


__all__ = ["g", "web"]
