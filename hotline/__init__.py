"""The hotline: a Flask application that answers the provider's central number."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from hotline import config, db, headers
from hotline.clock import system_clock


def create_app(settings: dict[str, Any] | None = None) -> Flask:
    """The app factory. `settings` override everything else (tests, the simulator)."""
    app = Flask(__name__, instance_relative_config=True)
    if settings and "INSTANCE_PATH" in settings:
        app.instance_path = str(settings["INSTANCE_PATH"])
    app.config.update(config.load(Path(app.instance_path), settings))
    app.config.setdefault("CLOCK", system_clock)
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default: no limit
        app.config["MAX_CONTENT_LENGTH"] = headers.MAX_BODY  # a larger body is answered 413
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    for noisy in ("alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    db.init_app(app)

    from hotline import cli, voice
    from hotline.calendar import calendar
    from hotline.web import web

    app.register_blueprint(voice.register())
    app.register_blueprint(calendar)
    app.register_blueprint(web)
    app.after_request(headers.secure)
    cli.init_app(app)
    return app
