"""A caller who types nothing hears that nothing came through, not that their customer number
is unknown or their PIN wrong: the core decides it from the empty digits, the renderer says it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from builders import small_provider
from flask import Flask
from test_callflow import asking

from escalation import callflow as cf
from escalation.callflow import Question
from hotline import create_app, db
from hotline.voice import twiml
from hotline.voice.prompts import text
from hotline.voice.twiml import Context


@pytest.mark.parametrize(("digits", "nothing"), [("", True), ("#", True), (" ", True),
                                                 ("99999", False), ("0", False)])  # fmt: skip
def test_the_core_tells_nothing_typed_from_an_unknown_number(digits: str, nothing: bool) -> None:
    call = asking(Question.CUSTOMER_NUMBER, 1)
    step = cf.customer_number(call, 1, digits, None, False, False)
    assert step.action == cf.Ask(Question.CUSTOMER_NUMBER, 2, nothing_typed=nothing)
    pin = cf.pin(asking(Question.PIN, 1, customer="20077"), 1, digits, "4711", "20077", False)
    assert pin.action == cf.Ask(Question.PIN, 2, nothing_typed=nothing)


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    folder = tmp_path_factory.mktemp("twiml")
    return create_app({"INSTANCE_PATH": folder, "DATABASE_URL": f"sqlite:///{folder / 't.db'}",
                       "HOTLINE_PUBLIC_URL": "https://hotline.example.de"})  # fmt: skip


def said(app: Flask, action: cf.Action, language: str) -> str:
    with app.app_context():
        body = twiml.render(action, Context(ticket=1, language=language)).get_data(as_text=True)
    return " ".join(s.text or "" for s in ET.fromstring(body).iter("Say"))


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize(
    ("question", "wrong"), [(Question.CUSTOMER_NUMBER, "customer_number_unknown"),
                            (Question.PIN, "pin_wrong")],
)  # fmt: skip
def test_the_renderer_says_nothing_came_through(
    plain_app: Flask, language: str, question: Question, wrong: str
) -> None:
    empty = said(plain_app, cf.Ask(question, 2, nothing_typed=True), language)
    assert text("nothing_typed", language) in empty and text(wrong, language) not in empty
    typed = said(plain_app, cf.Ask(question, 2), language)
    assert text(wrong, language) in typed and text("nothing_typed", language) not in typed


def test_a_caller_who_types_nothing_twice_never_hears_the_number_is_unknown(app: Flask) -> None:
    with app.app_context():
        small_provider(db.session())
    result = app.test_cli_runner().invoke(
        args=["simulate-call", "--live", "--from", "089 111111", "--press", "", "--press", "",
              "--press", "1"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "caller hears: Wir haben keine Eingabe erhalten." in result.output
    assert "Diese Kundennummer kennen wir nicht." not in result.output
