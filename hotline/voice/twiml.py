"""TwiML out: what the caller and the engineers hear for each action of `escalation.callflow`.

Pure presentation: an action and a `Context` (plain data the handler loaded) in, a response out;
no database. Built with twilio's `VoiceResponse` only. Action URLs are absolute, ASCII, and carry
ids only (never names), so the signature Twilio computes over them is the one we check. Every
text is cleaned of characters XML 1.0 cannot carry, so no name in the directory can make a
document ill-formed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Response, current_app
from twilio.twiml.voice_response import VoiceResponse

from escalation import callflow
from escalation.callflow import Question
from hotline import links, phones
from hotline.voice.fallback import CONFERENCE
from hotline.voice.prompts import LANGUAGES, text, waited

KEYPAD_TIMEOUT = 8  # seconds of silence before a keypad answer counts as none
CONFIRM_TIMEOUT = 6
MESSAGE_MAX = 60  # seconds of a not-an-emergency message
# Characters XML 1.0 cannot carry (and the surrogates and non-characters around them), and line
# breaks and tabs, which mean nothing spoken (and which XML would not give back as sent).
NOT_XML = re.compile("[^\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Dialled:
    """One ring attempt as the `<Dial>` needs it."""

    number: str
    timeout: int


@dataclass(frozen=True)
class Context:
    """What a document says besides the action itself: the ticket's call and the provider."""

    ticket: int
    language: str = "de"
    customer: str | None = None  # the customer's name, once identified
    caller: str | None = None  # the caller's E.164 (None: withheld)
    central: str | None = None  # the number the customer called: the caller ID of every dial
    provider: str = "Notdienst"
    office: str | None = None
    support: str = ""
    documented: bool = False  # the customer has an IT documentation link (sent by SMS)
    comes_back: str = ""  # urgent, not an emergency: when the team takes it up, as said
    attempts: dict[int, Dialled] = field(default_factory=dict)
    first: int = 1  # the first attempt of this call (a repeat call that took the ticket over)
    reconnect: bool = False  # that attempt rings the engineer who accepted the earlier call
    call: str = ""  # the caller's CallSid: the conference's requests lock the caller's call
    leg: int | None = None  # the REST-placed leg this request is on (the conference bridge)
    waited: int = 0  # seconds the caller has waited since the emergency was confirmed


def url(endpoint: str, **params: int | str) -> str:
    """The public URL of a voice webhook (`endpoint` names its handler) with ids in the query."""
    return links.public(f"voice.{endpoint}", **params)


def xml_safe(words: str) -> str:
    return NOT_XML.sub(" ", words)


def say(response: object, words: str, language: str = "de") -> None:
    voice = current_app.config.get(f"HOTLINE_VOICE_{language.upper()}")
    response.say(  # type: ignore[attr-defined]
        xml_safe(words), language=LANGUAGES.get(language, "de-DE"), voice=voice
    )


def reply(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def render(action: callflow.Action, ctx: Context) -> Response:
    """The answer to Twilio for `action`."""
    if isinstance(action, callflow.Silent):
        return Response(status=204)
    return reply(_document(action, ctx))


def _document(action: callflow.Action, ctx: Context) -> VoiceResponse:
    lang = ctx.language
    match action:
        case callflow.Ask():
            return _ask(action, ctx)
        case callflow.Refer():
            words = (
                text("refer", lang, office=phones.spoken(ctx.office))
                if ctx.office
                else text("refer_mail", lang, support=ctx.support)
            )
            return goodbye(words, lang)
        case callflow.TakeMessage(urgent=True):
            return record(text("urgent", lang, when=ctx.comes_back), lang,
                          url("message", ticket=ctx.ticket), None, MESSAGE_MAX)  # fmt: skip
        case callflow.TakeMessage():
            return record(text("not_emergency", lang, support=ctx.support), lang,
                          url("message", ticket=ctx.ticket), None, MESSAGE_MAX)  # fmt: skip
        case callflow.Voicemail():
            return record(
                text("voicemail", lang), lang, url("voicemail", ticket=ctx.ticket),
                url("recording", ticket=ctx.ticket), current_app.config["HOTLINE_VOICEMAIL_MAX"],
            )  # fmt: skip
        case callflow.Ring(seq=seq):
            return _ring(seq, ctx)
        case callflow.Connect(try_=try_):
            response = VoiceResponse()
            if try_ == 1:
                say(response, text("connecting", lang), lang)
            else:
                response.pause(length=1)
            response.redirect(url("bridge", ticket=ctx.ticket, call=ctx.call, **{"try": try_}))
            return response
        case callflow.Hold(joins=True):
            response = VoiceResponse()
            say(response, text("joining", lang), lang)
            response.dial().conference(
                CONFERENCE.format(ticket=ctx.ticket), beep=False,
                start_conference_on_enter=False, end_conference_on_exit=False,
            )  # fmt: skip
            say(response, text("goodbye", lang), lang)
            return response
        case callflow.Hold():
            return _hold(ctx)
        case callflow.Join(why=why, name=name):
            return _join(why, name, ctx)
        case callflow.Menu():
            response = VoiceResponse()
            g = response.gather(num_digits=1, timeout=6, action_on_empty_result=True,
                                action=_leg_url("pull", ctx))  # fmt: skip
            say(g, text("star_menu"))
            response.redirect(_leg_url("pull", ctx))
            return response
        case callflow.Invite(colleague=colleague):
            return _invite(colleague, ctx)
        case callflow.Goodbye(words=words):
            return goodbye(text(words, lang), lang)
        case callflow.Screen(seq=seq):
            return _screen(seq, ctx)
        case callflow.Bridge():
            response = VoiceResponse()
            say(response, text("accepted"))
            return response  # the document ends without <Hangup/>: Twilio bridges the legs
        case callflow.Taken():
            return goodbye(text("taken"), "de")
        case callflow.InHand(waiting=waiting):
            said = [text("message_waiting" if waiting else "in_hand", lang),
                    text("another_message", lang)]  # fmt: skip
            return record(" ".join(said), lang, url("again", ticket=ctx.ticket), None,
                          current_app.config["HOTLINE_VOICEMAIL_MAX"])  # fmt: skip
        case _:  # Hangup (a Walk never reaches here: the service turns it into Ring/Voicemail)
            response = VoiceResponse()
            response.hangup()
            return response


def _ask(ask: callflow.Ask, ctx: Context) -> VoiceResponse:
    lang, ids = ctx.language, {"ticket": ctx.ticket, "try": ask.try_}
    # asked again: the last answer was empty, or it named no customer / was the wrong PIN
    again = "nothing_typed" if ask.nothing_typed else None
    if ask.question is Question.CUSTOMER_NUMBER:
        words = [
            text("greeting_unknown", lang, provider=ctx.provider)
            if ask.try_ == 1
            else text(again or "customer_number_unknown", lang),
            text("ask_customer_number", lang),
        ]
        return gather(url("identify", **ids), words, lang, digits=None, timeout=KEYPAD_TIMEOUT)
    if ask.question is Question.PIN:
        words = [text(again or "pin_wrong", lang)] if ask.try_ > 1 else []
        return gather(url("pin", **ids), [*words, text("ask_pin", lang)], lang, digits=None,
                      timeout=KEYPAD_TIMEOUT)  # fmt: skip
    greet = [text("greeting", lang, customer=ctx.customer)] if ask.greet and ctx.customer else []
    return gather(url("confirm", **ids), [*greet, text("confirm", lang)], lang, digits=1,
                  timeout=CONFIRM_TIMEOUT)  # fmt: skip


def _ring(seq: int, ctx: Context) -> VoiceResponse:
    """One screened attempt, announced to the caller in one short sentence."""
    dialled = ctx.attempts[seq]
    ids = {"ticket": ctx.ticket, "attempt": seq}
    response = VoiceResponse()
    words = "next_engineer"
    if seq == ctx.first:
        words = "reconnecting" if ctx.reconnect else "connecting"
    say(response, text(words, ctx.language), ctx.language)
    dial = response.dial(
        action=url("dial_result", **ids), timeout=dialled.timeout, caller_id=ctx.central,
        answer_on_bridge=True, ring_tone="de",
    )  # fmt: skip
    dial.number(dialled.number, url=url("whisper", **ids))
    return response


def _leg_url(endpoint: str, ctx: Context, **more: int | str) -> str:
    return url(endpoint, ticket=ctx.ticket, leg=ctx.leg or 0, call=ctx.call, **more)


def _conference(response: VoiceResponse, ctx: Context, *, engineer: bool) -> None:
    """The caller's or an engineer's `<Dial><Conference>`. The caller never starts it (hold
    announcements until an engineer is in) and ends it by leaving; an engineer starts it, can
    leave without ending it, and presses `*` to pull someone in (the Dial's action)."""
    events = url("conference", ticket=ctx.ticket, call=ctx.call)
    if engineer:
        dial = response.dial(action=_leg_url("star", ctx), hangup_on_star=True)
    else:
        dial = response.dial(action=url("bridge_ended", ticket=ctx.ticket, call=ctx.call))
    dial.conference(
        CONFERENCE.format(ticket=ctx.ticket), beep=False,
        start_conference_on_enter=engineer, end_conference_on_exit=not engineer,
        wait_url=None if engineer else url("hold", ticket=ctx.ticket, call=ctx.call),
        wait_method="POST", status_callback=events, status_callback_method="POST",
        status_callback_event="join leave",
    )  # fmt: skip


def _hold(ctx: Context) -> VoiceResponse:
    response = VoiceResponse()
    _conference(response, ctx, engineer=False)
    return response


def hold_music(ctx: Context, stranded: bool = False) -> VoiceResponse:
    """The conference's wait document: the waiting time, music, then again (a waitUrl may hold
    only Say, Play, Pause and Redirect, so a stranded caller can only be asked to call again)."""
    response = VoiceResponse()
    words = (
        text("stranded", ctx.language)
        if stranded
        else text("hold", ctx.language, waited=waited(ctx.waited, ctx.language))
        if ctx.waited >= 10
        else text("hold_first", ctx.language)
    )
    say(response, words, ctx.language)
    response.play(current_app.config["HOTLINE_HOLD_MUSIC"])
    response.redirect(url("hold", ticket=ctx.ticket, call=ctx.call))
    return response


def _join(why: str, name: str, ctx: Context) -> VoiceResponse:
    response = VoiceResponse()
    words = {"accepted": text("bridge_accepted"), "pulling": text("pulling", who=name),
             "nobody": text("nobody_to_pull"), "back": text("back_in")}.get(why)  # fmt: skip
    if words:
        say(response, words)
    _conference(response, ctx, engineer=True)
    return response


def _invite(colleague: str, ctx: Context) -> VoiceResponse:
    caller = phones.spoken(ctx.caller) if ctx.caller else "unterdrückt"
    words = text("warm_whisper", customer=ctx.customer or text("unknown_caller"), caller=caller,
                 colleague=colleague)  # fmt: skip
    response = VoiceResponse()
    g = response.gather(num_digits=1, timeout=current_app.config["HOTLINE_WHISPER_TIMEOUT"],
                        action=_leg_url("invited", ctx))  # fmt: skip
    say(g, words)
    say(g, words)
    response.hangup()
    return response


def _screen(seq: int, ctx: Context) -> VoiceResponse:
    """The engineer's screen: a key press accepts; anything else, a voicemail box included,
    reaches `<Hangup/>` and the call is never bridged (twilio-facts.md §2.1)."""
    caller = phones.spoken(ctx.caller) if ctx.caller else "unterdrückt"
    words = text("whisper", customer=ctx.customer or text("unknown_caller"), caller=caller)
    if ctx.documented:
        words += " " + text("documentation_follows")
    response = VoiceResponse()
    g = response.gather(
        num_digits=1, timeout=current_app.config["HOTLINE_WHISPER_TIMEOUT"],
        action=url("accept", ticket=ctx.ticket, attempt=seq, **_on_leg(ctx)),
    )  # fmt: skip
    say(g, words)
    say(g, words)
    response.hangup()
    return response


def _on_leg(ctx: Context) -> dict[str, int | str]:
    """A conference leg's requests name the leg and the caller's call (their lock)."""
    return {"leg": ctx.leg, "call": ctx.call} if ctx.leg else {}


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


def record(
    words: str, language: str, action: str, callback: str | None, max_length: int
) -> VoiceResponse:
    """A voicemail: prompt, beep, `<Record>` with an explicit action; silence falls through."""
    response = VoiceResponse()
    say(response, words, language)
    response.record(
        action=action, max_length=max_length, finish_on_key="#", play_beep=True,
        recording_status_callback=callback,
    )  # fmt: skip
    say(response, text("no_recording", language), language)
    response.hangup()
    return response
