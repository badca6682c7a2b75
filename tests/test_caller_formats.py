"""A caller ID in a national or SIP format reaches the engineer as a number, not as withheld."""

from __future__ import annotations

import pytest
from builders import MUELLER_PHONE, small_provider
from conftest import TwilioClient
from flask import Flask
from test_voice import Call, ticket_of, walk_to_first_dial

from hotline import db


@pytest.mark.parametrize(
    "raw", ["030 1234567", "+49 (0)30 1234567", "sip:+49301234567@pbx.example.de"]
)
def test_the_engineer_hears_the_callers_number_in_any_format(
    app: Flask, twilio: TwilioClient, raw: str
) -> None:
    with app.app_context():
        small_provider(db.session())
    call = Call(twilio, from_=raw)
    _, whisper, _ = call.engineer(walk_to_first_dial(call))
    said = call.child(whisper).find("Gather").find("Say").text
    assert "0 3 0, 1 2 3, 4 5 6 7" in said and "unterdrückt" not in said
    ticket = ticket_of(app, call)
    assert (ticket.from_raw, ticket.from_number, ticket.identified_by) == (
        raw,
        MUELLER_PHONE,
        "number",
    )


def test_a_withheld_sip_caller_is_still_withheld(app: Flask, twilio: TwilioClient) -> None:
    with app.app_context():
        small_provider(db.session())
    call = Call(twilio, from_="sip:anonymous@anonymous.invalid")
    gather = call.incoming().find("Gather")
    assert "/voice/identify?" in gather.get("action")  # asked for the customer number
    assert ticket_of(app, call).from_number is None
