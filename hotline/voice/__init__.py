"""Twilio Voice webhooks: `/voice/incoming` and the action URLs one emergency call walks."""

from flask import Blueprint

voice = Blueprint("voice", __name__, url_prefix="/voice")


def register() -> Blueprint:
    """The blueprint with its routes (they register on import of their modules)."""
    from hotline.voice import bridge, callback, caller, engineer, fallback, repage  # noqa: F401

    return voice
