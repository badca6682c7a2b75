"""The conference bridge, played whole through the real webhooks and the simulated Twilio: a
level rings at once, a voicemail box stops nothing, one engineer wins, `*` pulls someone in,
and a REST API that fails never leaves the caller without a ringing phone."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from datetime import date, datetime
from typing import Any

import pytest
from builders import CENTRAL, MOBILES, MUELLER_PHONE, small_provider
from conftest import TwilioClient
from flask import Flask
from sqlalchemy import select
from twilio_recorder import RecordingHttpClient

from escalation import callflow
from hotline import calls, db, dialer, tickets
from hotline.models import Customer, Engineer, Provider, Rotation, RotationMember, Team, Ticket
from hotline.simulator import Clock, Script, Simulator

POLICY = {
    "bridge": "conference",
    "levels": ["own-primary", "own-secondary", {"level": "pool", "ring": "simultaneous"},
               "project-lead", "fallback"],
}  # fmt: skip


@pytest.fixture
def provider(app: Flask) -> None:
    """The small provider with a pool of two (lena, paul) that rings at once."""
    with app.app_context():
        session = db.session()
        small_provider(session)
        gruen = session.scalar(select(Team).where(Team.key == "gruen"))
        paul = session.scalar(select(Engineer).where(Engineer.key == "paul"))
        rotation = Rotation(key="gruen-secondary", team=gruen, layer="secondary", shift="1w",
                            handoff="Mon 08:00", start=date(2026, 11, 2))  # fmt: skip
        rotation.members.append(RotationMember(position=0, engineer=paul))
        session.add(rotation)
        Provider.one(session).policy = POLICY
        session.commit()


def play(app: Flask, clock: Clock, **script: Any) -> tuple[dict[str, Any], Simulator, list[str]]:
    lines: list[str] = []
    moving = Clock(clock())  # the call's clock, which the app reads too
    app.config["CLOCK"] = moving
    sim = Simulator(app, moving, Script(presses=["1"], conference=True, **script), lines.append)
    result = sim.run(MUELLER_PHONE, CENTRAL)
    with app.app_context():
        ticket = db.session().get(Ticket, result.ticket_id)
        assert ticket is not None
        return tickets.as_dict(ticket), sim, lines


def calls_created(sim: Simulator) -> list[dict[str, Any]]:
    assert sim.twilio is not None
    return [form for method, url, form in sim.twilio.requests if url.endswith("/Calls.json")]


def test_a_level_rings_at_once_a_voicemail_box_stops_nothing_one_wins(
    app: Flask, clock: Clock, provider: None
) -> None:
    ticket, sim, lines = play(
        app, clock, engineers={"jonas": "no-answer", "mia": "busy", "lena": "voicemail",
                               "paul": "accept"}, talk=90,
    )  # fmt: skip
    attempts = {a["engineer"]: a for a in ticket["attempts"]}
    assert ticket["state"] == "connected" and ticket["accepted_by"] == "paul"
    assert attempts["jonas"]["outcome"] == "no-answer" and attempts["mia"]["outcome"] == "busy"
    assert attempts["lena"]["outcome"] == "not-accepted"  # her mailbox answered, pressed nothing
    assert attempts["lena"]["started_at"] == attempts["paul"]["started_at"]  # rung together
    assert attempts["paul"]["talk_seconds"] == 90
    assert "anna" not in attempts  # the level was answered: nobody further was rung
    # every leg placed with the central number as caller ID and a status callback
    created = calls_created(sim)
    assert [c["To"] for c in created] == [MOBILES[k] for k in ("jonas", "mia", "lena", "paul")]
    assert all(c["From"] == CENTRAL and "/voice/leg?" in c["StatusCallback"] for c in created)
    assert all(c["StatusCallbackEvent"] for c in created)
    legs = {leg["engineer"]: leg for leg in ticket["legs"] if leg["purpose"] == "ring"}
    assert legs["paul"]["pressed"] == "1" and legs["paul"]["joined_at"] and legs["paul"]["left_at"]
    assert any("caller enters the conference" in line for line in lines)
    assert any("caller hears (on hold): " in line for line in lines)


def test_two_engineers_pressing_one_at_once_get_one_winner(
    app: Flask, clock: Clock, provider: None
) -> None:
    ticket, sim, lines = play(
        app, clock, engineers={"jonas": "no-answer", "mia": "no-answer", "lena": "accept",
                               "paul": "accept"}, talk=30,
    )  # fmt: skip
    outcomes = [a["outcome"] for a in ticket["attempts"]]
    assert outcomes.count("accepted") == 1
    pressed = [leg for leg in ticket["legs"] if leg["pressed"] == "1"]
    assert len(pressed) == 2  # both pressed 1 in the same second
    loser = next(leg for leg in pressed if leg["engineer"] != ticket["accepted_by"])
    assert loser["joined_at"] is None  # told "already taken", never joined the caller
    assert any("bereits angenommen" in line for line in lines)


def test_star_pulls_in_the_project_lead_and_the_caller_stays(
    app: Flask, clock: Clock, provider: None
) -> None:
    ticket, sim, lines = play(
        app, clock, default="accept", star_after=40, pull="2", talk=100,
    )  # fmt: skip
    warm = [leg for leg in ticket["legs"] if leg["purpose"] == "warm"]
    assert [leg["engineer"] for leg in warm] == ["anna"]
    assert warm[0]["joined_at"] and warm[0]["pressed"] == "1"
    events = [e["event"] for e in ticket["timeline"]]
    assert "pulled into the conference" in events
    assert events.count("joined the conference") == 3  # jonas, jonas back after *, anna
    assert ticket["state"] == "connected" and ticket["ended_at"]
    # the caller said goodbye only when the last engineer left
    goodbye = next(i for i, line in enumerate(lines) if "caller hears: Auf Wiederhören" in line)
    assert "anna hangs up" in lines[goodbye - 2] or "anna hangs up" in lines[goodbye - 1]


def test_rest_api_refusing_falls_back_to_dial_at_once(
    app: Flask, clock: Clock, provider: None
) -> None:
    ticket, sim, lines = play(app, clock, rest_fails=True, default="accept", talk=30)
    outcomes = [(a["engineer"], a["outcome"]) for a in ticket["attempts"]]
    assert outcomes == [("jonas", "not-placed"), ("jonas", "accepted")]  # rung again by <Dial>
    assert ticket["state"] == "connected"
    assert "conference failed, ringing by dial" in [e["event"] for e in ticket["timeline"]]
    assert [(leg["purpose"], leg["status"]) for leg in ticket["legs"]][0] == ("ring", "error")
    dialled = next(line for line in lines if "rings jonas at" in line and "REST" not in line)
    assert int(dialled[1:3]) * 60 + float(dialled[4:8]) < 15  # ringing by <Dial> within seconds


def test_caller_hanging_up_stops_every_ringing_leg(
    app: Flask, clock: Clock, provider: None
) -> None:
    ticket, sim, lines = play(
        app, clock, engineers={"jonas": "no-answer", "mia": "no-answer", "lena": "no-answer",
                               "paul": "no-answer"}, hangup_after=70,
    )  # fmt: skip
    assert ticket["state"] == "abandoned"
    assert all(leg["status"] in ("no-answer", "canceled") for leg in ticket["legs"]
               if leg["purpose"] == "ring")  # fmt: skip
    stops = [form for method, url, form in sim.twilio.requests  # type: ignore[union-attr]
             if "/Calls/" in url and form.get("Status") == "canceled"]  # fmt: skip
    assert stops, "the ringing legs were stopped through the REST API"
    with app.app_context():
        busy = db.session().scalars(select(Engineer).where(Engineer.busy_ticket_id.is_not(None)))
        assert list(busy) == []


def test_no_number_rings_twice_at_once_for_one_ticket(
    app: Flask, clock: Clock, provider: None
) -> None:
    ticket, _, _ = play(app, clock, default="voicemail", message=10)
    spans: dict[str, list[tuple[str, str]]] = {}
    for leg in ticket["legs"]:
        if leg["purpose"] == "ring":
            spans.setdefault(leg["to"], []).append((leg["created_at"], leg["ended_at"]))
    for number, found in spans.items():
        found.sort()
        assert all(a[1] <= b[0] for a, b in zip(found, found[1:], strict=False)), number
    assert ticket["state"] == "callback_pending"  # everybody's mailbox: the caller left a message


def test_hold_document_holds_only_what_a_wait_url_may(
    app: Flask, clock: Clock, provider: None
) -> None:
    """Twilio refuses any other verb in a waitUrl document (error 13238)."""
    _, sim, _ = play(app, clock, engineers={"jonas": "no-answer"}, talk=5)
    with app.app_context():
        ticket = db.session().scalars(select(Ticket)).one()
    response = sim.client.post(f"/voice/hold?ticket={ticket.id}&call={ticket.call_sid}",
                               data=sim.form, headers={"X-Twilio-Signature": "x"})  # fmt: skip
    assert response.status_code == 403  # signed like every webhook
    sim.twilio = None  # the call is over: nothing more to dial
    document = sim.post(f"/voice/hold?ticket={ticket.id}&call={ticket.call_sid}", sim.form)
    assert document is not None
    assert {verb.tag for verb in document} <= {"Say", "Play", "Pause", "Redirect"}
    ET.fromstring(ET.tostring(document))


def test_started_at_is_a_real_instant(app: Flask, clock: Clock, provider: None) -> None:
    ticket, _, _ = play(app, clock, default="accept", talk=5)
    assert datetime.fromisoformat(ticket["legs"][0]["created_at"]).utcoffset() is not None


def test_the_readme_conference_call_on_the_demo(app: Flask) -> None:
    """The README's line: the demo's pool rings at once, David takes it, pulls in Anna."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo", "--week", "2026-11-30"]).exit_code == 0
    result = runner.invoke(args=[
        "simulate-call", "--live", "--from", "030 2345678", "--conference",
        "--at", "2026-12-02T03:00", "--others", "voicemail", "--engineer", "david=accept",
        "--engineer", "anna=accept", "--star-after", "60", "--json",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    ticket = json.loads(result.output)
    assert ticket["accepted_by"] == "david" and ticket["bridge"] == "conference"
    pool = [a for a in ticket["attempts"] if a["level"] == "pool"]
    assert len(pool) >= 3 and len({a["started_at"] for a in pool}) == 1  # rung at once
    warm = [leg for leg in ticket["legs"] if leg["purpose"] == "warm"]
    assert [(leg["engineer"], bool(leg["joined_at"])) for leg in warm] == [("anna", True)]


def test_a_second_phone_of_the_line_joins_the_conversation_in_the_bridge(
    app: Flask, clock: Clock, provider: None
) -> None:
    """The same number calls again while its emergency is talked about: into that conference,
    without starting or ending it, and nobody else is rung."""
    heard: list[ET.Element] = []
    moving = Clock(clock())
    app.config["CLOCK"] = moving
    sim = Simulator(app, moving, Script(presses=["1"], conference=True, talk=300), print)

    def second_phone() -> None:
        form = {**sim.form, "CallSid": "CA" + "7" * 32}
        document = sim.post("/voice/incoming", form)
        assert document is not None
        heard.append(document)

    sim.schedule(120, second_phone)
    result = sim.run(MUELLER_PHONE, CENTRAL)
    (document,) = heard
    dial = document.find("Dial")
    assert dial is not None and [verb.tag for verb in document] == ["Say", "Dial", "Say"]
    room = dial.find("Conference")
    assert room is not None and room.text == f"hotline-ticket-{result.ticket_id}"
    assert room.get("endConferenceOnExit") == "false"
    assert room.get("startConferenceOnEnter") == "false"
    with app.app_context():
        ticket = db.session().get(Ticket, result.ticket_id)
        assert ticket is not None and len(ticket.attempts) == 1  # nobody else was rung
        assert [r.joins for r in ticket.repeat_calls] == ["in hand"]


def confirmed(session: Any, clock: Clock, call_sid: str) -> Ticket:
    """Müller & Söhne's call, just confirmed as an emergency (committed): its legs are queued."""
    ticket = Ticket(call_sid=call_sid, arrived_at=clock(), to_number=CENTRAL,
                    from_number=MUELLER_PHONE, state="confirming", question="confirmation",
                    question_try=1)  # fmt: skip
    ticket.customer = session.scalar(select(Customer).where(Customer.number == "10042"))
    session.add(ticket)
    session.flush()
    calls.apply(session, ticket, callflow.confirmation(calls.view(ticket), 1, "1"), clock())
    session.commit()
    return ticket


def test_a_leg_whose_status_never_comes_ends_as_unanswered_and_the_walk_goes_on(
    app: Flask, clock: Clock, provider: None
) -> None:
    """Twilio's status callback of a ringing leg is lost: the worker's dialer job ends it after
    its ring could have ended, so the holding caller is rung the next level."""
    recorder = RecordingHttpClient()
    app.config.update(TWILIO_HTTP_CLIENT=recorder, HOTLINE_DIALER_THREAD=False)
    with app.app_context():
        session = db.session()
        ticket = confirmed(session, clock, "CA" + "5" * 32)
        assert ticket.bridge == "conference"
        calls.dial(session, clock())
        assert [r.data["To"] for r in recorder.requests] == [MOBILES["jonas"]]
        clock.advance(seconds=30)
        calls.dial(session, clock())  # not yet overdue: the ring may still be going
        assert len(recorder.requests) == 1
        clock.advance(seconds=60)
        calls.dial(session, clock())
        session.refresh(ticket)
        assert [a.outcome for a in ticket.attempts] == ["no-answer", "ringing"]
        sent = [(r.url.rsplit("/", 1)[1], r.data.get("To") or r.data.get("Status"))
                for r in recorder.requests]  # fmt: skip
        assert sent[1:] == [("CA00000000000000000000000000000001.json", "canceled"),
                            ("Calls.json", MOBILES["mia"])]  # fmt: skip


def test_a_caller_the_rest_api_cannot_move_is_asked_to_call_again_and_moved_once_it_can(
    app: Flask, clock: Clock, provider: None, twilio: TwilioClient
) -> None:
    """The level rang out and the REST API then refused both the next leg and the caller's move
    to `<Dial>`: the caller would hold forever. Each loop of the wait document asks Twilio
    again and tells the caller to call again; once the API answers, the caller is moved."""
    recorder = RecordingHttpClient()
    app.config.update(TWILIO_HTTP_CLIENT=recorder, HOTLINE_DIALER_THREAD=False)
    with app.app_context():
        session = db.session()
        ticket = confirmed(session, clock, "CA" + "6" * 32)
        calls.dial(session, clock())  # jonas's leg is placed; the caller holds
        hold = f"/voice/hold?ticket={ticket.id}&call={ticket.call_sid}"
        form = {"CallSid": ticket.call_sid, "From": MUELLER_PHONE, "To": CENTRAL}

        def wait_document() -> str:
            session.commit()  # the webhook writes (SQLite: one writer)
            response = twilio.post(hold, form)
            document = ET.fromstring(response.get_data(as_text=True))
            assert {verb.tag for verb in document} <= {"Say", "Play", "Pause", "Redirect"}
            return " ".join(say.text or "" for say in document.iter("Say"))

        assert "bleiben Sie in der Leitung" in wait_document()
        recorder.fail(500, times=100)  # the REST API is down
        clock.advance(seconds=90)
        calls.dial(session, clock())  # jonas's ring is overdue: mia's leg is refused
        calls.dial(session, clock())  # the move to <Dial> is refused too
        session.refresh(ticket)
        assert ticket.bridge == "dial"
        assert [(leg.purpose, leg.status) for leg in ticket.legs][-1] == ("caller", "error")

        assert "rufen Sie sofort noch einmal an" in wait_document()
        calls.dial(session, clock())  # that loop's try is refused as well
        assert "rufen Sie sofort noch einmal an" in wait_document()
        assert "rufen Sie sofort noch einmal an" in wait_document()  # the move is still queued
        recorder.statuses.clear()  # the REST API answers again
        calls.dial(session, clock())
        session.expire_all()
        moves = [leg for leg in ticket.legs if leg.purpose == dialer.CALLER]
        assert [leg.status for leg in moves] == ["error", "error", "completed"]  # one per loop
        moved = recorder.requests[-1]
        assert moved.url.endswith(f"/Calls/{ticket.call_sid}.json")
        assert "/voice/bridge-ended?" in moved.data["Url"]
        bridge_ended = moved.data["Url"].split("/voice/", 1)[1]
        session.commit()
        document = ET.fromstring(twilio.post("/voice/" + bridge_ended, form).get_data(as_text=True))
        assert document.find("Dial/Number") is not None  # rung by <Dial> from here on


def test_two_ones_at_the_same_moment_on_two_servers_threads_get_one_winner(
    app: Flask, clock: Clock, provider: None
) -> None:
    """Two engineers' legs press 1 at the same instant (two threads, each its own client and
    connection): one joins the caller, the other hears it is taken."""
    recorder = RecordingHttpClient()
    app.config.update(TWILIO_HTTP_CLIENT=recorder, HOTLINE_DIALER_THREAD=False)
    with app.app_context():
        session = db.session()
        ticket = Ticket(
            call_sid="CA" + "6" * 32,
            arrived_at=clock(),
            to_number=CENTRAL,
            state="confirming",
            question="confirmation",
            question_try=1,
            typed=True,
        )  # fmt: skip  (unidentified: the pool of four rings at once)
        session.add(ticket)
        session.flush()
        calls.apply(session, ticket, callflow.confirmation(calls.view(ticket), 1, "1"), clock())
        session.commit()
        calls.dial(session, clock())
        legs = [(leg.id, leg.attempt.seq, leg.call_sid)  # type: ignore[union-attr]
                for leg in ticket.legs[:2]]  # fmt: skip
        ticket_id, caller = ticket.id, ticket.call_sid
    start, answers = threading.Barrier(2), {}

    def press(leg: int, seq: int, sid: str) -> None:
        client = TwilioClient(app.test_client())
        path = f"/voice/accept?ticket={ticket_id}&attempt={seq}&leg={leg}&call={caller}"
        form = {"CallSid": sid, "Digits": "1", "AccountSid": "AC" + "0" * 32}
        start.wait()
        answers[leg] = ET.fromstring(client.post(path, form).get_data(as_text=True))

    threads = [threading.Thread(target=press, args=leg) for leg in legs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    joined = [leg for leg, doc in answers.items() if doc.find("Dial/Conference") is not None]
    assert len(joined) == 1
    loser = next(doc for leg, doc in answers.items() if leg not in joined)
    assert loser.find("Hangup") is not None and "bereits angenommen" in ET.tostring(
        loser, encoding="unicode")  # fmt: skip
    with app.app_context():
        won = db.session().get(Ticket, ticket_id)
        assert won is not None and sum(a.outcome == "accepted" for a in won.attempts) == 1
