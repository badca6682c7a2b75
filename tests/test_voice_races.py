"""Twilio's retries racing the original: every request of a call sent twice at the same moment,
to two servers on one PostgreSQL (and to one server on SQLite). Both answers must be the same,
byte for byte, and the ticket must look as if each request came once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from builders import CENTRAL, MOBILES, call_sid
from conftest import PG_ADMIN
from realserver import Answer, Server, form, post, serving
from sqlalchemy import create_engine, func, select, text
from test_faults import _seed

from hotline.models import Attempt, Event, Message, RepeatCall, Ticket

PUBLIC = "https://hotline.example.de"
ROUNDS = 5


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server, str]]:
    """Two servers sharing one database and one public URL (one server, twice, on SQLite)."""
    folder = tmp_path_factory.mktemp(f"races-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'hotline.db'}"
        _seed(url, folder)
        with serving(folder, {"DATABASE_URL": url, "HOTLINE_PUBLIC_URL": PUBLIC}) as one:
            yield one, one, url
        return
    name = f"hotline_races_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")  # fmt: skip
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - fail loudly, never skip
        pytest.fail(f"PostgreSQL at {PG_ADMIN} is required for the race tests: {exc}")
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        _seed(url, folder)
        env = {"DATABASE_URL": url, "HOTLINE_PUBLIC_URL": PUBLIC}
        with serving(folder, env) as first, serving(folder, env) as second:
            yield first, second, url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def twice(pair: tuple[Server, Server, str], url: str, data: dict[str, str]) -> Answer:
    """The same request to both servers, released at the same instant; the answers must agree."""
    barrier = threading.Barrier(2)
    answers: list[Answer | BaseException] = [RuntimeError("no answer")] * 2

    def send(index: int, server: Server) -> None:
        barrier.wait()
        try:
            answers[index] = post(server, url, data)
        except BaseException as exc:  # noqa: BLE001 - reported below
            answers[index] = exc

    threads = [threading.Thread(target=send, args=(i, s)) for i, s in enumerate(pair[:2])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    first, second = answers
    assert isinstance(first, Answer) and isinstance(second, Answer), answers
    assert first.status == second.status and first.status < 500, (first.body, second.body)
    assert first.body == second.body, (url, first.body, second.body)
    return first


def test_a_connected_call_with_every_request_twice(pair: tuple[Server, Server, str]) -> None:
    for _ in range(ROUNDS):
        sid, child = call_sid(), call_sid()
        caller = form(sid, To=CENTRAL)
        confirm = twice(pair, "/voice/incoming", caller).xml.find("Gather").get("action")
        dial = twice(pair, confirm, {**caller, "Digits": "1"}).xml.find("Dial")
        assert dial.find("Number").text == MOBILES["jonas"]
        leg = form(child, ParentCallSid=sid, Direction="outbound-dial", To=MOBILES["jonas"])
        accept = twice(pair, dial.find("Number").get("url"), leg).xml.find("Gather").get("action")
        bridge = twice(pair, accept, {**leg, "Digits": "1"})
        assert [v.tag for v in bridge.xml] == ["Say"]  # both heard "connected", neither hung up
        done = twice(
            pair,
            dial.get("action"),
            {
                **caller,
                "DialCallStatus": "completed",
                "DialBridged": "true",
                "DialCallDuration": "60",
            },
        )
        assert [v.tag for v in done.xml] == ["Say", "Hangup"]
        assert twice(pair, "/voice/status", {**caller, "CallStatus": "completed"}).status == 204
        _looks_once(pair[2], sid, attempts=1, state="connected", sms=1)


def test_no_answer_twice_at_once_rings_the_next_engineer_once(
    pair: tuple[Server, Server, str],
) -> None:
    for _ in range(ROUNDS):
        sid = call_sid()
        caller = form(sid, To=CENTRAL)
        confirm = twice(pair, "/voice/incoming", caller).xml.find("Gather").get("action")
        dial = twice(pair, confirm, {**caller, "Digits": "1"}).xml.find("Dial")
        nxt = twice(pair, dial.get("action"), {**caller, "DialCallStatus": "no-answer"})
        assert nxt.xml.find("Dial/Number").text == MOBILES["mia"]  # never the fallback
        twice(pair, "/voice/status", {**caller, "CallStatus": "completed"})
        _looks_once(pair[2], sid, attempts=2, state="abandoned", sms=1)


def _looks_once(url: str, sid: str, attempts: int, state: str, sms: int) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            ids = conn.execute(select(Ticket.id, Ticket.state).where(Ticket.call_sid == sid)).all()
            assert len(ids) == 1 and ids[0].state == state
            ticket = ids[0].id
            count = conn.scalar(select(func.count()).where(Attempt.ticket_id == ticket))
            assert count == attempts
            kinds = conn.scalars(select(Event.kind).where(Event.ticket_id == ticket)).all()
            assert kinds.count("arrived") == 1 and kinds.count("call ended") == 1
            assert kinds.count("ringing") == attempts
            assert conn.scalar(select(func.count()).where(Message.ticket_id == ticket)) == sms
    finally:
        engine.dispose()


def test_two_calls_from_one_number_at_once_open_one_ticket(
    pair: tuple[Server, Server, str],
) -> None:
    """Two phones on one line (or a redial racing the first call): two CallSids from one number
    at the same moment, one to each server. One opens the ticket, the other joins it."""
    for round_ in range(ROUNDS):
        number = f"+4930123456899{round_}"  # Müller's (its number block), one per round
        sids = [call_sid(), call_sid()]
        answers: list[Answer | BaseException] = [RuntimeError("no answer")] * 2
        barrier = threading.Barrier(2)

        def send(index: int, server: Server, sids: list[str] = sids, number: str = number,
                 answers: list[Answer | BaseException] = answers,
                 barrier: threading.Barrier = barrier) -> None:  # fmt: skip
            barrier.wait()
            answers[index] = post(server, "/voice/incoming", {**form(sids[index]), "From": number})

        threads = [threading.Thread(target=send, args=(i, s)) for i, s in enumerate(pair[:2])]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        verbs = sorted(tuple(v.tag for v in a.xml) for a in answers if isinstance(a, Answer))
        assert verbs == [("Gather", "Redirect"), ("Say", "Record", "Say", "Hangup")], answers
        engine = create_engine(pair[2].replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            with engine.connect() as conn:
                opened = conn.scalars(select(Ticket.id).where(Ticket.from_number == number)).all()
                joined = conn.scalars(
                    select(RepeatCall.ticket_id).where(RepeatCall.call_sid.in_(sids))
                ).all()
        finally:
            engine.dispose()
        assert len(opened) == 1 and joined == opened
