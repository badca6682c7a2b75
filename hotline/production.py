"""What a production process refuses to start with.

A generated secret is made per machine (instance/secrets.json): a second web server or the worker
on another host would make its own, and every webhook would answer 403 (auth token) or every
ticket link in an SMS would be refused (secret key), silently, at 3 a.m. The demo accounts'
passwords are printed in the README. A public URL on http:// sends callers' data in clear and
cannot match the https URL Twilio signs. All of these are fine for a demo on a laptop, which is
what HOTLINE_DEVELOPMENT says.

The web server (`serve`, the WSGI entry `hotline.wsgi`) and the worker call `refuse` before they
start. The settings are checked without the database; the demo accounts need it, and a database
that cannot be reached at start does not stop the web server (it must answer the Fallback URL
whatever the database does): that is logged, and the check runs at the next start.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


class Refused(RuntimeError):
    """A production start with settings that would fail or leak; the reasons in its message."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(
            "refusing to start in production (set HOTLINE_DEVELOPMENT=1 for a demo):\n"
            + "\n".join(f"  - {reason}" for reason in reasons)
        )


def setting_reasons(config: dict[str, Any]) -> list[str]:
    """What in the settings alone a production start must not have."""
    reasons = [
        f"{name} is generated on this machine (instance/secrets.json): set it in the "
        "environment, the same for every web server and worker"
        for name in config["HOTLINE_GENERATED"]
    ]
    if not str(config["HOTLINE_PUBLIC_URL"]).startswith("https://"):
        reasons.append(
            f"HOTLINE_PUBLIC_URL {config['HOTLINE_PUBLIC_URL']} is not https: set the https URL "
            "Twilio calls (it signs every webhook over it)"
        )
    return reasons


def demo_reasons() -> list[str]:
    """Demo accounts that still have their published passwords (needs the database)."""
    from hotline import accounts, db

    session = db.session()
    try:
        demo = accounts.insecure(session)
    finally:
        session.close()
    if not demo:
        return []
    return [
        f"demo accounts with their published passwords exist ({', '.join(demo)}): disable them "
        "(flask --app hotline users disable EMAIL)"
    ]


def refuse(app: Flask) -> None:
    """Raise `Refused` unless this is a development run or nothing is wrong (app context)."""
    if app.config["HOTLINE_DEVELOPMENT"]:
        return
    reasons = setting_reasons(app.config)
    try:
        reasons += demo_reasons()
    except SQLAlchemyError as exc:
        log.error(
            "demo accounts not checked: the database cannot be reached (%s); starting anyway, "
            "the Fallback URL needs no database",
            type(exc).__name__,
        )
    if reasons:
        raise Refused(reasons)
