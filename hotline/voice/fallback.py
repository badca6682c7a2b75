"""The path that needs no database and no rota: the fallback number, screened, then voicemail.

Used as the number's Voice Fallback URL and by every caller-leg handler that fails. The screen
is stateless (`DialBridged` alone tells whether the engineer pressed 1), so even here a voicemail
box cannot take the emergency.
"""

from __future__ import annotations

import logging

from flask import Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from hotline import fallback
from hotline.voice import twiml, voice
from hotline.voice.guard import webhook
from hotline.voice.prompts import text

log = logging.getLogger("hotline.voice")


def caller_fallback() -> Response:
    """The caller's answer when anything failed: dial the fallback number, else voicemail."""
    number = fallback.number(current_app)
    if not number:
        log.error("no fallback number configured: the caller goes straight to voicemail")
        return _voicemail()
    response = twiml.dial(
        text("failure"),
        "de",
        number,
        action=twiml.url("fallback-dial"),
        whisper=twiml.url("fallback-whisper"),
        timeout=30,
        caller_id=request.form.get("To") or None,  # the central number the customer called
    )
    return twiml.reply(response)


def engineer_fallback() -> Response:
    """An engineer leg whose handler failed: bridge on 1 (a human pressed it), else hang up."""
    if request.form.get("Digits") == "1":
        return twiml.reply(VoiceResponse())
    response = VoiceResponse()
    response.hangup()
    return twiml.reply(response)


def empty() -> Response:
    """Status callbacks: Twilio wants 204 or an empty document; anything else is a warning."""
    return Response(status=204)


def _voicemail() -> Response:
    response = twiml.record(text("voicemail"), "de", twiml.url("fallback-voicemail"), None, 120)
    return twiml.reply(response)


@voice.post("/fallback")
@webhook(caller_fallback)
def incoming_fallback() -> Response:
    log.error(
        "Twilio used the Fallback URL for CallSid=%s (ErrorCode=%s, ErrorUrl=%s)",
        request.form.get("CallSid"),
        request.form.get("ErrorCode"),
        request.form.get("ErrorUrl"),
    )
    return caller_fallback()


@voice.post("/fallback-whisper")
@webhook(engineer_fallback)
def fallback_whisper() -> Response:
    return twiml.reply(
        twiml.whisper(text("whisper_fallback"), twiml.url("fallback-accept"), timeout=10)
    )


@voice.post("/fallback-accept")
@webhook(engineer_fallback)
def fallback_accept() -> Response:
    return engineer_fallback()


@voice.post("/fallback-dial")
@webhook(_voicemail)
def fallback_dial() -> Response:
    if request.form.get("DialBridged") == "true":
        return twiml.reply(twiml.goodbye(text("goodbye"), "de"))
    return _voicemail()


@voice.post("/fallback-voicemail")
@webhook(lambda: twiml.reply(twiml.goodbye(text("thanks"), "de")))
def fallback_voicemail() -> Response:
    # No database on this path: the log line is the record, so it must carry everything.
    log.error(
        "FALLBACK VOICEMAIL CallSid=%s From=%s RecordingUrl=%s RecordingDuration=%s",
        request.form.get("CallSid"),
        request.form.get("From"),
        request.form.get("RecordingUrl"),
        request.form.get("RecordingDuration"),
    )
    return twiml.reply(twiml.goodbye(text("thanks"), "de"))
