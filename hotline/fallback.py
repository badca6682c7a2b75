"""The last-resort number, known without the database.

A voice handler that fails (or Twilio's Fallback URL) must still reach a human, so the number
comes from the settings (HOTLINE_FALLBACK_NUMBER) or else from `instance/fallback.json`, which
the directory import rewrites whenever the provider's fallback number changes.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from flask import Flask

log = logging.getLogger(__name__)
FILE = "fallback.json"


def remember(instance_path: str | Path, number: str | None) -> None:
    """Keep the directory's fallback number beside the database (atomic rewrite)."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".fallback-")
    with os.fdopen(fd, "w") as f:
        json.dump({"fallback_number": number}, f)
    os.replace(tmp, folder / FILE)


def number(app: Flask) -> str | None:
    """The fallback number, or None when nobody configured one (logged: a real gap)."""
    configured = app.config.get("HOTLINE_FALLBACK_NUMBER")
    if configured:
        return configured
    try:
        stored = json.loads((Path(app.instance_path) / FILE).read_text())
        return stored.get("fallback_number") or None
    except (OSError, ValueError):
        log.error("no fallback number: set HOTLINE_FALLBACK_NUMBER or import a directory")
        return None
