"""More than one phone per engineer, on both backends: the directory reads, checks, stores and
exports them; a level with `phones: all` rings the mobile and then the landline, one after the
other; SMS go to the mobile only; the directory page shows them."""

from __future__ import annotations

import copy
import html
from typing import Any

import pytest
import yaml
from builders import FALLBACK, MOBILES, MUELLER_PHONE, small_provider, verbs, xml
from conftest import Clock, TwilioClient
from flask import Flask
from sqlalchemy import select
from test_directory import EXAMPLE
from test_voice import Call, messages, ticket_of, walk_to_first_dial

from hotline import db, roster
from hotline.directory import DirectoryError, dump, export_directory, import_directory
from hotline.models import Customer, Engineer, Provider

LANDLINE = "+49301110001"  # jonas's landline
SECOND = "+4915111100020"  # jonas's second mobile


@pytest.fixture
def example() -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLE)
    data["engineers"][1]["phones"] = [
        {"number": "030 1110001", "label": "Festnetz"},
        {"number": "+49 151 11100020"},
    ]
    return data


def test_the_directory_stores_phones_in_order_and_exports_them(
    session: Any, example: dict[str, Any]
) -> None:
    import_directory(session, example)
    jonas = session.scalars(select(Engineer).where(Engineer.key == "jonas")).one()
    assert jonas.mobile == "+491723456789"
    assert jonas.phones == [
        {"number": LANDLINE, "label": "Festnetz"},
        {"number": SECOND, "label": None},
    ]
    assert jonas.numbers() == ["+491723456789", LANDLINE, SECOND]
    exported = export_directory(session)
    assert exported["engineers"][1]["phones"] == [
        {"number": "+49 30 1110001", "label": "Festnetz"},
        {"number": "+49 1511 1100020"},
    ]
    assert not import_directory(session, yaml.safe_load(dump(exported))).changed
    less = copy.deepcopy(example)
    less["engineers"][1]["phones"] = less["engineers"][1]["phones"][1:]
    assert import_directory(session, less).counts["engineers"] == {"updated": 1}
    session.refresh(jonas)
    assert jonas.numbers() == ["+491723456789", SECOND]


@pytest.mark.parametrize(
    ("phones", "error"),
    [
        ([{"number": "030 12"}], 'engineers[1] (jonas).phones[0].number: "030 12" is not a valid'),
        ([{"label": "Festnetz"}], "engineers[1] (jonas).phones[0].number: is required"),
        ([{"number": "030 1110001", "colour": "red"}], "engineers[1] (jonas).phones[0].colour"),
        (
            [{"number": "0172 3456789"}],
            "engineers[1] (jonas): phones[0] +491723456789 is the mobile",
        ),
        (
            [{"number": "030 1110001"}, {"number": "+49 30 1110001"}],
            "engineers[1] (jonas): phones[1] +49301110001 is listed twice",
        ),
        ("030 1110001", "engineers[1] (jonas).phones: expected a list"),
    ],
)
def test_bad_phones_are_refused_naming_the_field(
    session: Any, example: dict[str, Any], phones: Any, error: str
) -> None:
    example["engineers"][1]["phones"] = phones
    with pytest.raises(DirectoryError) as caught:
        import_directory(session, example)
    assert any(e.startswith(error) for e in caught.value.errors), caught.value.errors


def test_a_landline_that_is_a_customers_number_is_a_routing_finding(
    session: Any, example: dict[str, Any]
) -> None:
    """Like a mobile: that engineer calling in would be taken for the customer."""
    example["engineers"][1]["phones"] = [{"number": "030 1234567", "label": "Festnetz"}]
    with pytest.raises(DirectoryError) as caught:
        import_directory(session, example)
    found = caught.value.errors + caught.value.warnings
    assert any("engineers[1] (jonas).phones[0]" in line for line in found), found


# --- the call ----------------------------------------------------------------------------------


@pytest.fixture
def provider(app: Flask) -> dict[str, Any]:
    """The small provider; jonas (blau primary) has a landline and a second mobile, and the
    own team's primary level rings all of an engineer's phones."""
    with app.app_context():
        session = db.session()
        rows = small_provider(session)
        rows["engineers"]["jonas"].phones = [
            {"number": LANDLINE, "label": "Festnetz"},
            {"number": SECOND, "label": None},
        ]
        Provider.one(session).policy = {  # type: ignore[union-attr]
            "levels": [{"level": "own-primary", "phones": "all"}, "own-secondary", "pool",
                       "project-lead", "fallback"]
        }  # fmt: skip
        session.commit()
        return {}


def test_the_chain_holds_one_entry_per_phone(app: Flask, provider: Any, clock: Clock) -> None:
    with app.app_context():
        session = db.session()
        chain = roster.chain_for(session, None, clock())  # unidentified: the pool only
        assert [e.number for e in chain.entries if e.engineer == "jonas"] == [MOBILES["jonas"]]
        mueller = session.scalar(select(Customer).where(Customer.number == "10042"))
        chain = roster.chain_for(session, mueller, clock())
    assert [(e.engineer, e.number) for e in chain.entries] == [
        ("jonas", MOBILES["jonas"]),
        ("jonas", LANDLINE),
        ("jonas", SECOND),
        ("mia", MOBILES["mia"]),
        ("lena", MOBILES["lena"]),
        ("anna", MOBILES["anna"]),
        (None, FALLBACK),
    ]
    assert chain.entries[1].reason.endswith("phone 2 (Festnetz)")


def test_the_landline_rings_after_the_mobile_and_the_sms_goes_to_the_mobile(
    app: Flask, twilio: TwilioClient, provider: Any, clock: Clock
) -> None:
    call = Call(twilio, MUELLER_PHONE)
    root = walk_to_first_dial(call)
    number, _, action = call.engineer(root)
    assert number == MOBILES["jonas"]
    clock.advance(seconds=25)
    root = xml(call.post(action, DialCallStatus="no-answer"))
    number, whisper, action = call.engineer(root)
    assert number == LANDLINE  # the same engineer, his next phone
    accept_url = call.child(whisper).find("Gather").get("action")
    assert "Hangup" not in verbs(call.child(accept_url, Digits="1"))
    clock.advance(minutes=5)
    call.post(action, DialCallStatus="completed", DialBridged="true", DialCallDuration="300")
    ticket = ticket_of(app, call)
    assert [(a.number, a.outcome) for a in ticket.attempts] == [
        (MOBILES["jonas"], "no-answer"),
        (LANDLINE, "accepted"),
    ]
    assert ticket.bridged_seconds == 300
    assert {m.to for m in messages(app) if m.channel == "sms"} == {MOBILES["jonas"]}


def test_a_voicemail_is_told_to_the_mobiles_only(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio, MUELLER_PHONE)
    root = walk_to_first_dial(call)
    dialled = []
    while verbs(root) == ["Say", "Dial"]:
        number, _, action = call.engineer(root)
        dialled.append(number)
        root = xml(call.post(action, DialCallStatus="no-answer"))
    assert dialled[:3] == [MOBILES["jonas"], LANDLINE, SECOND]
    assert len(dialled) == len(set(dialled))  # no number twice for one call
    record = root.find("Record")
    call.post(
        record.get("action"), RecordingUrl="https://api.twilio.com/R9", RecordingDuration="20"
    )
    told = sorted(m.to for m in messages(app) if m.channel == "sms")
    assert told == sorted(MOBILES[k] for k in ("jonas", "mia", "lena", "anna"))


def test_the_directory_page_shows_every_phone(app: Flask, clock: Clock) -> None:
    from office import client_as, seed

    seed(app, clock())
    text = html.unescape(client_as(app, "engineer").get("/directory").get_data(as_text=True))
    engineers = text[text.index('id="engineers"') :]
    assert "0171 5550101" in engineers and "030 5550901" in engineers  # anna: mobile, landline
    assert "Festnetz" in engineers
    assert engineers.index("0171 5550101") < engineers.index("030 5550901")
