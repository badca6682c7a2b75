"""The path that needs no database and no rota: the fallback number, screened, then voicemail.

Used as the number's Voice Fallback URL and by every caller-leg handler that fails. It has its
own texts and its own small TwiML, built from nothing but the request and the settings, and a
constant document below that if even that fails, so that no bug elsewhere can reach it. What
happens here is spooled to `instance/spool/` (hotline/fallback.py) and replayed into tickets by
the worker once the database is back. The screen is stateless (`DialBridged` alone tells whether
the engineer pressed 1), so even here a voicemail box cannot take the emergency.
"""

from __future__ import annotations

import logging
import re

from flask import Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from hotline import fallback
from hotline.voice import voice
from hotline.voice.guard import caller_call_sid, param, webhook

log = logging.getLogger("hotline.voice")

FAILURE = "Entschuldigung, eine technische Störung. Wir verbinden Sie mit unserem Notdienst."
WHISPER = "Notfall über die Ausfall-Leitung der Hotline. Drücken Sie 1 zum Annehmen."
VOICEMAIL = (
    "Im Moment ist niemand erreichbar. Bitte hinterlassen Sie nach dem Ton Ihren Namen, "
    "Ihre Rückrufnummer und eine kurze Beschreibung. Wir rufen zurück."
)
THANKS = "Vielen Dank. Wir rufen so schnell wie möglich zurück. Auf Wiederhören."
NOTHING = "Wir haben keine Nachricht erhalten. Auf Wiederhören."
GOODBYE = "Auf Wiederhören."
MAX_MESSAGE = 120
E164 = re.compile(r"^\+[1-9]\d{4,14}$")

# If building even the fallback fails: a constant document, relative URL, no setting read.
LAST_RESORT = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    f'<Say language="de-DE">{VOICEMAIL}</Say>'
    f'<Record action="/voice/fallback-voicemail" finishOnKey="#" maxLength="{MAX_MESSAGE}" '
    'playBeep="true" /><Hangup /></Response>'
)


def _xml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def _say(response: VoiceResponse, words: str) -> None:
    response.say(words, language="de-DE", voice=current_app.config.get("HOTLINE_VOICE_DE"))


def _url(path: str) -> str:
    return f"{current_app.config['HOTLINE_PUBLIC_URL']}/voice/{path}"


def keep(kind: str, **record: object) -> None:
    """Spool what happened on this call. A spool that cannot be written (a full disk) is
    logged with what finds the call and its recording again in Twilio's console: the CallSid
    and the RecordingSid (identifiers, not the caller's number or voice)."""
    try:
        fallback.spool(
            current_app.instance_path, kind, call_sid=caller_call_sid(),
            caller=param("From"), to=param("To"),
            at=current_app.config["CLOCK"]().isoformat(), **record,
        )  # fmt: skip
    except Exception:  # noqa: BLE001 - the caller comes first
        recording = re.findall(r"RE[0-9a-f]{32}", str(record.get("url", "")))
        log.exception(
            "LOST FROM THE SPOOL: %s of CallSid=%s RecordingSid=%s could not be written; find it "
            "in Twilio's console", kind, caller_call_sid(), recording[0] if recording else "-",
        )  # fmt: skip


def _record() -> Response:
    response = VoiceResponse()
    _say(response, VOICEMAIL)
    response.record(action=_url("fallback-voicemail"), max_length=MAX_MESSAGE, finish_on_key="#",
                    play_beep=True)  # fmt: skip
    _say(response, NOTHING)
    response.hangup()
    return _xml(response)


def last_resort() -> Response:
    return Response(LAST_RESORT, mimetype="text/xml")


def caller_fallback() -> Response:
    """The caller's answer when anything failed: dial the fallback number, else voicemail."""
    keep("fallback", where=request.path, error=param("ErrorCode", 16))
    try:
        number = fallback.number(current_app)
        if not number:
            log.error("CallSid=%s: no fallback number, straight to voicemail", caller_call_sid())
            return _record()
        response = VoiceResponse()
        _say(response, FAILURE)
        central = param("To", 32)
        dial = response.dial(
            action=_url("fallback-dial"), timeout=30, answer_on_bridge=True,
            caller_id=central if E164.match(central) else None,
        )  # fmt: skip
        dial.number(number, url=_url("fallback-whisper"))
        return _xml(response)
    except Exception:  # noqa: BLE001 - below this there is only the constant document
        log.exception("the fallback itself failed for CallSid=%s", caller_call_sid())
        return last_resort()


def after_dial_fallback() -> Response:
    """A dial result we could not handle: a caller who was just talking to an engineer is
    thanked (they had their human); anyone else goes to the fallback number."""
    if param("DialBridged", 8) != "true":
        return caller_fallback()
    keep("fallback", where=request.path, error="", bridged=True)
    response = VoiceResponse()
    _say(response, GOODBYE)
    response.hangup()
    return _xml(response)


def engineer_fallback() -> Response:
    """An engineer leg whose handler failed: bridge on 1 (a human pressed it, and the spool
    says so, so the ticket is not taken for lost while they talk), else hang up. A leg of the
    conference bridge (`leg` in its URL) joins the conference on 1."""
    if "leg" in request.args and param("Digits", 8) == "1":
        return rejoin()
    response = VoiceResponse()
    if param("Digits", 8) != "1":
        response.hangup()
    elif request.path.endswith("/accept"):
        keep("accepted", ticket=request.args.get("ticket", "")[:12],
             attempt=request.args.get("attempt", "")[:6])  # fmt: skip
    return _xml(response)


CONFERENCE = "hotline-ticket-{ticket}"  # ids only: no personal data in a conference's name


def rejoin() -> Response:
    """An engineer's request in the conference failed: into the conference (built from the
    signed URL alone), so a human who is talking to the caller stays with them; a pulled-in
    engineer who did not press 1 is hung up."""
    ticket = "".join(c for c in request.args.get("ticket", "") if c.isdigit())[:12]
    response = VoiceResponse()
    declined = request.path.endswith("/invited") and param("Digits", 8) != "1"
    if ticket and not declined:
        dial = response.dial()
        dial.conference(CONFERENCE.format(ticket=ticket), beep=False,
                        start_conference_on_enter=True, end_conference_on_exit=False)  # fmt: skip
    else:
        response.hangup()
    return _xml(response)


def kept_recording(kind: str = "voicemail") -> Response:
    """A recording the database could not take: spooled, and the caller thanked."""
    keep(kind, url=param("RecordingUrl", 500), seconds=param("RecordingDuration", 9))
    try:
        response = VoiceResponse()
        _say(response, THANKS)
        response.hangup()
        return _xml(response)
    except Exception:  # noqa: BLE001
        return Response('<?xml version="1.0" encoding="UTF-8"?><Response><Hangup /></Response>',
                        mimetype="text/xml")  # fmt: skip


def kept_message() -> Response:
    """A not-an-emergency message the database could not take: spooled as what it is."""
    return kept_recording("message")


def empty() -> Response:
    """Status callbacks: Twilio wants 204 or an empty document; anything else is a warning."""
    return Response(status=204)


@voice.post("/fallback")
@webhook(last_resort, database=False)
def incoming_fallback() -> Response:
    log.error(
        "Twilio used the Fallback URL for CallSid=%s (ErrorCode=%s, ErrorUrl=%s)",
        caller_call_sid(), param("ErrorCode", 16), param("ErrorUrl", 200),
    )  # fmt: skip
    return caller_fallback()


@voice.post("/fallback-whisper")
@webhook(engineer_fallback, database=False)
def fallback_whisper() -> Response:
    response = VoiceResponse()
    gather = response.gather(num_digits=1, timeout=10, action=_url("fallback-accept"))
    for _ in range(2):
        gather.say(WHISPER, language="de-DE", voice=current_app.config.get("HOTLINE_VOICE_DE"))
    response.hangup()
    return _xml(response)


@voice.post("/fallback-accept")
@webhook(engineer_fallback, database=False)
def fallback_accept() -> Response:
    return engineer_fallback()


@voice.post("/fallback-dial")
@webhook(last_resort, database=False)
def fallback_dial() -> Response:
    if param("DialBridged", 8) == "true":
        keep("bridged", seconds=param("DialCallDuration", 9))
        response = VoiceResponse()
        _say(response, GOODBYE)
        response.hangup()
        return _xml(response)
    return _record()


@voice.post("/fallback-voicemail")
@webhook(kept_recording, database=False)
def fallback_voicemail() -> Response:
    return kept_recording()
