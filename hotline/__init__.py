"""The hotline: a Flask application that answers the provider's central number."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from hotline import config, db, headers, logs
from hotline.clock import running_from, system_clock


def create_app(settings: dict[str, Any] | None = None) -> Flask:
    """The app factory. `settings` override everything else (tests, the simulator)."""
    app = Flask(__name__, instance_relative_config=True)
    folder = (settings or {}).get("INSTANCE_PATH") or os.environ.get("HOTLINE_INSTANCE")
    if folder:  # another deployment's folder (tests, a second instance on one machine)
        app.instance_path = str(folder)
    app.config.update(config.load(Path(app.instance_path), settings))
    app.config.setdefault("CLOCK", system_clock)
    if app.config["HOTLINE_CLOCK_START"]:
        if not app.config["HOTLINE_DEVELOPMENT"]:
            raise RuntimeError("HOTLINE_CLOCK_START is for development: set HOTLINE_DEVELOPMENT=1")
        app.config["CLOCK"] = running_from(app.config["HOTLINE_CLOCK_START"])
    _fallback_number(app)
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default: no limit
        app.config["MAX_CONTENT_LENGTH"] = headers.MAX_BODY  # a larger body is answered 413
    logs.configure()

    for noisy in ("alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    db.init_app(app)

    from hotline import api, cli, voice, web
    from hotline.voice import guard

    guard.init_app(app)  # its handler slots: as many as the pool keeps connections
    from hotline.calendar import calendar
    from hotline.probes import probes
    from hotline.sms import sms

    app.config.update(
        SESSION_COOKIE_NAME="hotline",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["HOTLINE_PUBLIC_URL"].startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["HOTLINE_SESSION_HOURS"]),
        WTF_CSRF_TIME_LIMIT=None,  # the session's own lifetime bounds the form's token
    )
    csrf = CSRFProtect(app)
    app.register_blueprint(csrf.exempt(voice.register()))  # Twilio signs; no browser form
    app.register_blueprint(csrf.exempt(calendar))
    app.register_blueprint(csrf.exempt(sms))  # Twilio signs it, like the voice webhooks
    app.register_blueprint(csrf.exempt(probes))  # machines ask: no session, no form
    app.register_blueprint(web.register(app))
    app.register_blueprint(csrf.exempt(api.register()))  # a bearer token; no cookie counts
    app.after_request(headers.secure)
    cli.init_app(app)
    return app


def _fallback_number(app: Flask) -> None:
    """HOTLINE_FALLBACK_NUMBER in E.164 whatever way it was written; a bad one is reported by
    `flask check` (the fallback path ignores it)."""
    from hotline import phones

    written = app.config.get("HOTLINE_FALLBACK_NUMBER")
    if written:
        try:
            app.config["HOTLINE_FALLBACK_NUMBER"] = phones.normalize(str(written))
        except ValueError:
            logging.getLogger(__name__).error("HOTLINE_FALLBACK_NUMBER %r is no phone number",
                                              written)  # fmt: skip
