"""Every TwiML document the product renders, read back by a strict XML parser (expat), whatever
names the directory holds: control characters, lone surrogates, markup, any script."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation import callflow as cf
from escalation.callflow import Question
from hotline import create_app
from hotline.voice import twiml
from hotline.voice.twiml import Context, Dialled

ACTIONS: list[cf.Action] = [
    cf.Ask(Question.CUSTOMER_NUMBER, 1), cf.Ask(Question.CUSTOMER_NUMBER, 2),
    cf.Ask(Question.PIN, 1), cf.Ask(Question.PIN, 2), cf.Ask(Question.CONFIRMATION, 1, True),
    cf.Ask(Question.CONFIRMATION, 2), cf.Refer(), cf.TakeMessage(), cf.Voicemail("x"),
    cf.Ring(1), cf.Ring(2), cf.Goodbye("goodbye"), cf.Goodbye("thanks"),
    cf.Goodbye("no_recording"), cf.Screen(1), cf.Bridge(), cf.Taken(), cf.Hangup(),
]  # fmt: skip


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app's routes and settings; the renderer needs no database."""
    folder = tmp_path_factory.mktemp("twiml")
    return create_app({"INSTANCE_PATH": folder, "DATABASE_URL": f"sqlite:///{folder / 't.db'}",
                       "HOTLINE_PUBLIC_URL": "https://hotline.example.de"})  # fmt: skip


text = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(customer=text, provider=text, support=text, language=st.sampled_from(["de", "en", "x"]))
def test_every_document_is_well_formed_whatever_the_names(
    plain_app: Flask, customer: str, provider: str, support: str, language: str
) -> None:
    ctx = Context(
        ticket=7, language=language, customer=customer or None, caller="+49301234567",
        central="+49309876540", provider=provider, office="+49309876500", support=support,
        attempts={1: Dialled("+491712345678", 20), 2: Dialled("+491723456789", 12)},
    )  # fmt: skip
    with plain_app.app_context():
        for action in ACTIONS:
            body = twiml.render(action, ctx).get_data(as_text=True)
            root = ET.fromstring(body)  # expat: refuses anything XML 1.0 cannot carry
            assert root.tag == "Response"
            said = " ".join(s.text or "" for s in root.iter("Say"))
            if isinstance(action, cf.Screen) and customer.strip():
                assert twiml.xml_safe(customer) in said


def test_a_status_callback_is_answered_with_204(plain_app: Flask) -> None:
    with plain_app.app_context():
        assert twiml.render(cf.Silent(), Context(ticket=1)).status_code == 204
