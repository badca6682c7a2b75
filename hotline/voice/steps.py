"""What the caller hears at each step of `escalation.callflow`, as TwiML.

Pure presentation: a step, the ticket and the provider in; a `VoiceResponse` out. The action URLs
carry the ticket and the attempt number only, so a repeated request can be recognised.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from escalation.callflow import (
    AskConfirmation,
    AskCustomerNumber,
    AskPin,
    NotEmergency,
    Refer,
    Step,
    Voicemail,
)
from hotline import phones
from hotline.models import Attempt, Provider, Ticket
from hotline.voice import twiml
from hotline.voice.prompts import text

KEYPAD_TIMEOUT = 8  # seconds of silence before a keypad answer counts as none
CONFIRM_TIMEOUT = 6


def render(step: Step, ticket: Ticket, session: Session) -> VoiceResponse:
    """The provider is read only for the steps that speak of it (not on a known caller's path)."""
    lang = ticket.language
    ids = {"ticket": ticket.id}
    if isinstance(step, AskCustomerNumber):
        words = [
            text("greeting_unknown", lang, provider=_provider(session).name)
            if step.attempt == 1
            else text("customer_number_unknown", lang),
            text("ask_customer_number", lang),
        ]
        action = twiml.url("identify", **ids, **{"try": step.attempt})
        return twiml.gather(action, words, lang, digits=None, timeout=KEYPAD_TIMEOUT)
    if isinstance(step, AskPin):
        words = [text("pin_wrong", lang)] if step.attempt > 1 else []
        action = twiml.url("pin", **ids, **{"try": step.attempt})
        return twiml.gather(
            action, [*words, text("ask_pin", lang)], lang, digits=None, timeout=KEYPAD_TIMEOUT
        )
    if isinstance(step, AskConfirmation):
        greet = step.attempt == 1 and ticket.customer is not None and ticket.identified_by
        words = [text("greeting", lang, customer=ticket.customer.name)] if greet else []
        action = twiml.url("confirm", **ids, **{"try": step.attempt})
        return twiml.gather(
            action, [*words, text("confirm", lang)], lang, digits=1, timeout=CONFIRM_TIMEOUT
        )
    if isinstance(step, Refer):
        provider = _provider(session)
        words = (
            text("refer", lang, office=phones.spoken(provider.office_number))
            if provider.office_number
            else text("refer_mail", lang, support=provider.support_email or "")
        )
        return twiml.goodbye(words, lang)
    if isinstance(step, NotEmergency):
        support = _provider(session).support_email or ""
        return twiml.record(
            text("not_emergency", lang, support=support), lang, twiml.url("message", **ids),
            None, 60,
        )  # fmt: skip
    assert isinstance(step, Voicemail), step
    return twiml.record(
        text("voicemail", lang),
        lang,
        twiml.url("voicemail", **ids),
        twiml.url("recording", **ids),
        current_app.config["HOTLINE_VOICEMAIL_MAX"],
    )


def _provider(session: Session) -> Provider:
    return Provider.one(session) or Provider(name="Notdienst")


def dial(ticket: Ticket, attempt: Attempt, timeout: int) -> VoiceResponse:
    """One screened attempt, announced to the caller in one short sentence."""
    ids = {"ticket": ticket.id, "attempt": attempt.seq}
    words = text("connecting" if attempt.seq == 1 else "next_engineer", ticket.language)
    return twiml.dial(
        words,
        ticket.language,
        attempt.number,
        action=twiml.url("dial-result", **ids),
        whisper=twiml.url("whisper", **ids),
        timeout=timeout,
        caller_id=ticket.to_number,
    )
