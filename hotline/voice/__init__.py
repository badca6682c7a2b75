"""Twilio Voice webhooks (being built)."""

from flask import Blueprint

voice = Blueprint("voice", __name__, url_prefix="/voice")
