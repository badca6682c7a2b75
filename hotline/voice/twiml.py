"""TwiML out: every answer the phone side gives, built with twilio's `VoiceResponse` only.

Action URLs are absolute, ASCII, and carry ids only (never names), so the signature Twilio
computes over them is the one we check (twilio-facts.md §4.3).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, current_app
from twilio.twiml.voice_response import VoiceResponse

from hotline.voice.prompts import LANGUAGES, text


def url(path: str, **params: int | str) -> str:
    query = f"?{urlencode(params)}" if params else ""
    return f"{current_app.config['HOTLINE_PUBLIC_URL']}/voice/{path}{query}"


def reply(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def say(response: VoiceResponse | object, words: str, language: str = "de") -> None:
    voice = current_app.config.get(f"HOTLINE_VOICE_{language.upper()}")
    response.say(words, language=LANGUAGES.get(language, "de-DE"), voice=voice)  # type: ignore[attr-defined]


def gather(
    action: str, words: list[str], language: str, *, digits: int | None, timeout: int
) -> VoiceResponse:
    """A question the caller may answer while it is still being spoken.

    `actionOnEmptyResult` sends silence to the action too, and the `<Redirect>` after it is a
    safety net: a call never falls off the end of a document.
    """
    response = VoiceResponse()
    options: dict[str, object] = {"num_digits": digits} if digits else {"finish_on_key": "#"}
    g = response.gather(action=action, timeout=timeout, action_on_empty_result=True, **options)
    for words_ in words:
        say(g, words_, language)
    response.redirect(action)
    return response


def goodbye(words: str, language: str) -> VoiceResponse:
    response = VoiceResponse()
    say(response, words, language)
    response.hangup()
    return response


def hangup() -> VoiceResponse:
    response = VoiceResponse()
    response.hangup()
    return response


def record(
    words: str, language: str, action: str, callback: str | None, max_length: int
) -> VoiceResponse:
    """A voicemail: prompt, beep, `<Record>` with an explicit action; silence falls through."""
    response = VoiceResponse()
    say(response, words, language)
    response.record(
        action=action,
        max_length=max_length,
        finish_on_key="#",
        play_beep=True,
        recording_status_callback=callback,
    )
    say(response, text("no_recording", language), language)
    response.hangup()
    return response


def dial(
    words: str,
    language: str,
    number: str,
    *,
    action: str,
    whisper: str,
    timeout: int,
    caller_id: str | None,
) -> VoiceResponse:
    """One screened attempt: the engineer hears the whisper and must press 1 to be bridged."""
    response = VoiceResponse()
    say(response, words, language)
    d = response.dial(
        action=action,
        timeout=timeout,
        caller_id=caller_id,
        answer_on_bridge=True,
        ring_tone="de",
    )
    d.number(number, url=whisper)
    return response


def whisper(words: str, accept: str, timeout: int) -> VoiceResponse:
    """The engineer's screen: a key press accepts; anything else, a voicemail box included,
    reaches `<Hangup/>` and the call is never bridged (twilio-facts.md §2.1)."""
    response = VoiceResponse()
    g = response.gather(num_digits=1, timeout=timeout, action=accept)
    say(g, words)
    say(g, words)
    response.hangup()
    return response
