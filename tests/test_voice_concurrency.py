"""Real concurrent requests, on SQLite and PostgreSQL: one engineer is rung for one emergency at a
time, and one ticket is accepted by one engineer only."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from builders import CENTRAL, MOBILES, call_sid, extension, small_provider, xml
from conftest import PUBLIC_URL, TwilioClient
from flask import Flask
from sqlalchemy import select, update

from hotline import db
from hotline.models import Attempt, Engineer, Ticket

ROUNDS = 6


def together(*jobs: Callable[[], Any]) -> list[Any]:
    """Run the jobs in threads released at the same instant; return their results in order."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int, job: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = job()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def form(sid: str, **extra: str) -> dict[str, str]:
    """A request of call `sid`, from a phone of Müller's of its own: every call here is an
    emergency of its own (a second call from one number would join the first's ticket)."""
    return {"CallSid": sid, "From": extension(int(sid[2:]) % 10_000), "To": CENTRAL, **extra}


def confirmed_dial(app: Flask, sid: str) -> Callable[[], str]:
    """A job that confirms the emergency of call `sid` and returns the number it dials."""

    def job() -> str:
        twilio = TwilioClient(app.test_client())
        with app.app_context():
            ticket = db.session().scalar(select(Ticket).where(Ticket.call_sid == sid))
            assert ticket is not None
            url = f"/voice/confirm?ticket={ticket.id}&try=1"
        root = xml(twilio.post(url, form(sid, Digits="1")))
        return root.find("Dial/Number").text

    return job


def test_two_emergencies_at_once_never_ring_the_same_engineer(app: Flask) -> None:
    with app.app_context():
        small_provider(db.session())
    twilio = TwilioClient(app.test_client())
    for _ in range(ROUNDS):
        sids = [call_sid(), call_sid()]
        for sid in sids:
            xml(twilio.post("/voice/incoming", form(sid)))
        first, second = together(*(confirmed_dial(app, sid) for sid in sids))
        assert first != second
        for sid in sids:  # both callers hang up; the engineers are free for the next round
            twilio.post("/voice/status", form(sid, CallStatus="completed"))


def test_two_engineers_can_never_both_accept_one_ticket(app: Flask) -> None:
    with app.app_context():
        small_provider(db.session())
    twilio = TwilioClient(app.test_client())
    for _ in range(ROUNDS):
        sid = call_sid()
        root = xml(twilio.post("/voice/incoming", form(sid)))
        confirm = root.find("Gather").get("action").removeprefix(PUBLIC_URL)
        xml(twilio.post(confirm, form(sid, Digits="1")))
        with app.app_context():  # a second attempt ringing at the same time (as if in parallel)
            session = db.session()
            ticket = session.scalar(select(Ticket).where(Ticket.call_sid == sid))
            session.add(
                Attempt(
                    ticket=ticket,
                    seq=2,
                    entry=1,
                    level="own-secondary",
                    number="+491734567890",
                    started_at=ticket.arrived_at,
                )
            )
            session.commit()
            ticket_id = ticket.id

        def press_1(seq: int, sid: str = sid, ticket_id: int = ticket_id) -> bool:
            client = TwilioClient(app.test_client())
            data = {"CallSid": call_sid(), "ParentCallSid": sid, "Digits": "1"}
            root = xml(client.post(f"/voice/accept?ticket={ticket_id}&attempt={seq}", data))
            return root.find("Hangup") is None  # bridged

        results = together(lambda: press_1(1), lambda: press_1(2))
        assert sorted(results) == [False, True]
        with app.app_context():
            ticket = db.session().get(Ticket, ticket_id)
            winner = next(a for a in ticket.attempts if a.seq == results.index(True) + 1)
            assert ticket.accepted_attempt_id == winner.id
        twilio.post("/voice/status", form(sid, CallStatus="completed"))


def test_a_request_twilio_sends_twice_at_once_opens_one_ticket(app: Flask) -> None:
    with app.app_context():
        small_provider(db.session())
    for _ in range(ROUNDS):
        sid = call_sid()

        def incoming(sid: str = sid) -> bytes:
            return TwilioClient(app.test_client()).post("/voice/incoming", form(sid)).get_data()

        first, second = together(incoming, incoming)
        assert first == second and b"<Gather" in first
        with app.app_context():
            found = db.session().scalars(select(Ticket).where(Ticket.call_sid == sid)).all()
            assert len(found) == 1
            assert [e.kind for e in found[0].events] == ["arrived", "identified"]


def test_a_walk_passes_an_engineer_another_request_is_changing_at_this_moment(app: Flask) -> None:
    """Another request holds jonas's row (claiming him for another emergency, or releasing him,
    not yet committed): the confirmation rings the next engineer at once instead of waiting for
    it. In a burst of calls, confirmations queued on the few on-call engineers' rows, one after
    the other, until their deadline (bench/README.md). PostgreSQL: SQLite takes one write at a
    time, so there no other request can hold a row."""
    with app.app_context():
        small_provider(db.session())
        if db.engine().dialect.name != "postgresql":
            return
    sid = call_sid()
    xml(TwilioClient(app.test_client()).post("/voice/incoming", form(sid)))
    with app.app_context(), db.new_session() as other:
        other.execute(update(Engineer).where(Engineer.key == "jonas").values(active=True))
        dialled = confirmed_dial(app, sid)()
        other.rollback()
    assert dialled == MOBILES["mia"]  # the team's second, never the fallback after a lock wait
