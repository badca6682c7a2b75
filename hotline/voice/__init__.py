"""Twilio Voice webhooks: `/voice/incoming` and the action URLs one emergency call walks."""

from flask import Blueprint

voice = Blueprint("voice", __name__, url_prefix="/voice")

from hotline.voice import caller, engineer, fallback  # noqa: E402,F401 - routes register on import
