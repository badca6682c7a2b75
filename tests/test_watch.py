"""The hotline watches itself: each alarm once, with its recovery; the dead-man's switch both
ways (the web process notices a dead worker, the worker a dead web process), on the injected
clock, never sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from builders import FALLBACK, MOBILES, small_provider
from conftest import Clock, TwilioClient
from flask import Flask
from sqlalchemy import select
from twilio_recorder import RecordingHttpClient

from escalation import alarms
from escalation.alarms import Key
from escalation.gaps import Gap
from hotline import db, heartbeat, notify, watch
from hotline.models import Alarm, Attempt, Engineer, Message, Rotation, Ticket

LEADS = [MOBILES["anna"], MOBILES["paul"]]
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def provider(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        small_provider(session)
        session.scalars(select(Engineer).where(Engineer.key == "anna")).one().email = "anna@x.de"
        session.commit()


def alarm_messages(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session().scalars(
            select(Message).where(Message.dedupe_key.like("alarm:%")).order_by(Message.id)
        )
        return [(m.channel, m.to, m.body) for m in rows]


def raised(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session().scalars(select(Alarm.key).where(Alarm.raised.is_(True))))


def run_worker_watch(app: Flask, clock: Clock) -> None:
    with app.app_context():
        watch.check(db.session(), clock(), T0)


def beat(app: Flask, name: str, at: datetime) -> None:
    with app.app_context():
        heartbeat.beat(db.session(), name, at)


def test_a_dead_worker_is_noticed_by_the_web_process_which_sends_the_alarm_itself(
    app: Flask, provider: None, clock: Clock
) -> None:
    app.config["TWILIO_HTTP_CLIENT"] = twilio = RecordingHttpClient()
    app.config["HOTLINE_SMS_FROM"] = "+493012345000"
    beat(app, "worker", clock())
    web = watch.Watchman(app)
    clock.advance(minutes=2)
    assert web.tick() is False  # four beats missed is not yet dead
    assert raised(app) == set()
    clock.advance(seconds=1)
    assert web.tick() is True
    assert raised(app) == {"worker"}
    sent = [(m["To"], m["Body"]) for m in twilio.sms]
    assert sorted(to for to, _ in sent) == sorted([FALLBACK, *LEADS])  # the test double has it
    assert all("Der Worker läuft nicht (letztes Lebenszeichen vor 2 Min.)" in b for _, b in sent)
    emails = [m for m in alarm_messages(app) if m[0] == "email"]
    assert [to for _, to, _ in emails] == ["anna@x.de"]
    with app.app_context():
        assert db.session().get(Alarm, "worker").detail is not None
        web_beat = heartbeat.beats(db.session())["web"]
    assert web_beat == clock()  # the web process beat on every tick

    clock.advance(seconds=30)
    assert web.tick() is True
    assert len(twilio.sms) == 3  # once: not again while it stays dead

    clock.advance(minutes=5)
    beat(app, "worker", clock())  # the worker is back; its own watch sends the recovery
    assert web.tick() is False
    with app.app_context():
        watch.job(db.session(), clock())
    assert raised(app) == set()
    recovered = [b for _, _, b in alarm_messages(app) if "wieder" in b]
    assert len(recovered) == 4 and all("Der Worker läuft wieder" in b for b in recovered)


def test_a_dead_web_process_is_noticed_by_the_worker(
    app: Flask, provider: None, clock: Clock
) -> None:
    beat(app, "web", clock())
    beat(app, "worker", clock())
    run_worker_watch(app, clock)
    assert raised(app) == set()
    clock.advance(minutes=3)
    beat(app, "worker", clock())
    run_worker_watch(app, clock)
    assert raised(app) == {"web"}
    bodies = {b for c, _, b in alarm_messages(app) if c == "sms"}
    assert bodies == {"Hotline-ALARM: Der Webprozess läuft nicht (letztes Lebenszeichen vor 3 "
                      "Min.): Anrufe erreichen nur noch die Ausfall-Leitung. Bitte den "
                      "Webprozess prüfen. (01.12. 03:03)"}  # fmt: skip
    beat(app, "web", clock())
    run_worker_watch(app, clock)
    assert raised(app) == set()


def test_healthz_seeing_a_dead_worker_starts_the_web_process_watch(
    app: Flask, provider: None, clock: Clock
) -> None:
    app.config["TWILIO_HTTP_CLIENT"] = twilio = RecordingHttpClient()
    app.config["HOTLINE_SMS_FROM"] = "+493012345000"
    watchman = watch.watchman(app)  # the process started now; the worker never beat
    clock.advance(minutes=3)
    assert app.test_client().get("/healthz").status_code == 503
    assert watchman.thread is not None
    watchman.thread.join(10)
    assert raised(app) == {"worker"}
    assert any("noch kein Lebenszeichen" in m["Body"] for m in twilio.sms)


def test_a_call_that_fell_to_the_fallback_raises_the_alarm_once(
    app: Flask, provider: None, clock: Clock, twilio: TwilioClient
) -> None:
    beat(app, "worker", clock())
    with app.app_context():
        session = db.session()
        ticket = Ticket(call_sid="CA1", arrived_at=clock(), state="ringing")
        ticket.attempts.append(Attempt(seq=1, entry=4, level="fallback", number=FALLBACK,
                                       started_at=clock()))  # fmt: skip
        session.add(ticket)
        session.commit()
        ticket_id = ticket.id
    run_worker_watch(app, clock)
    run_worker_watch(app, clock)
    sms = [b for c, _, b in alarm_messages(app) if c == "sms"]
    assert sms == [f"Hotline-ALARM: Ein Notruf ist bei der Rückfallnummer gelandet (Notfall "
                   f"#{ticket_id}). (01.12. 03:00)"] * 3  # fmt: skip
    clock.advance(minutes=16)
    beat(app, "worker", clock())
    beat(app, "web", clock())
    run_worker_watch(app, clock)
    assert raised(app) == set()


def test_a_burst_of_calls_to_the_fallback_raises_one_alarm_that_fits_an_sms_and_a_subject(
    app: Flask, provider: None, clock: Clock
) -> None:
    """Sixty calls whose chain ran out at once (everyone busy): the alarm names the first three
    tickets and counts the rest. Listing all sixty overflowed the e-mail subject's column and the
    job failed on PostgreSQL, so no alarm went out at all."""
    beat(app, "worker", clock())
    with app.app_context():
        session = db.session()
        for i in range(60):
            ticket = Ticket(call_sid=f"CA{i}", arrived_at=clock(), state="ringing")
            ticket.attempts.append(Attempt(seq=1, entry=4, level="fallback", number=FALLBACK,
                                           started_at=clock()))  # fmt: skip
            session.add(ticket)
        session.commit()
        first = sorted(session.scalars(select(Ticket.id)))[:3]
    run_worker_watch(app, clock)
    assert raised(app) == {"fallback"}
    listed = ", ".join(f"#{i}" for i in first)
    line = (f"Hotline-ALARM: 60 Notrufe sind bei der Rückfallnummer gelandet (Notfälle {listed} "
            f"und 57 weitere).")  # fmt: skip
    assert {b for c, _, b in alarm_messages(app) if c == "sms"} == {f"{line} (01.12. 03:00)"}
    with app.app_context():
        subjects = db.session().scalars(select(Message.subject).where(Message.channel == "email"))
        assert list(subjects) == [line]


def test_messages_that_keep_failing_raise_an_alarm(app: Flask, provider: None, clock: Clock):
    beat(app, "worker", clock())
    with app.app_context():
        session = db.session()
        for i in range(3):
            notify.enqueue_sms(session, MOBILES["jonas"], "x", f"k{i}")
        session.flush()
        for message in session.scalars(select(Message)):
            message.last_error, message.status = "TwilioRestException: 401", "pending"
        session.commit()
    run_worker_watch(app, clock)
    assert raised(app) == {"messages"}
    assert any("3 Nachrichten scheitern wiederholt" in b for _, _, b in alarm_messages(app))


def test_a_burst_of_signature_failures_raises_an_alarm(
    app: Flask, provider: None, clock: Clock, twilio: TwilioClient
) -> None:
    beat(app, "worker", clock())
    for i in range(9):
        twilio.post("/voice/incoming", {"CallSid": f"CA{i}"}, signed=False)
    run_worker_watch(app, clock)
    assert raised(app) == set()
    twilio.post("/voice/incoming", {"CallSid": "CA9"}, signed=False)
    run_worker_watch(app, clock)
    assert raised(app) == {"signatures"}
    assert any("10 Webhooks mit ungültiger Twilio-Signatur" in b for _, _, b in alarm_messages(app))


def test_a_rota_gap_within_24_hours_raises_an_alarm(app: Flask, provider: None, clock: Clock):
    beat(app, "worker", clock())
    with app.app_context():
        session = db.session()
        session.query(Rotation).filter(Rotation.key == "gruen-primary").delete()
        session.commit()
    run_worker_watch(app, clock)
    assert raised(app) == {"rota"}
    assert any("Bereitschaftslücke ab 01.12. 03:00 (Team gruen)" in b
               for _, _, b in alarm_messages(app))  # fmt: skip


def test_two_checks_at_once_send_each_message_once(app: Flask, provider: None, clock: Clock):
    """The raise is a conditional UPDATE: a second process that decided the same finds it
    raised already and sends nothing."""
    with app.app_context():
        session = db.session()
        condition = alarms.Condition(Key.WORKER, {"minutes": None})
        assert watch._turn(session, Key.WORKER, True, clock(), "x") is True
        assert watch._turn(session, Key.WORKER, True, clock(), "x") is False
        assert condition.key == Key.WORKER


# --- the rules ------------------------------------------------------------------------------


def test_a_heartbeat_never_seen_is_missed_only_after_the_watcher_waited() -> None:
    assert not alarms.dead(None, T0 + timedelta(minutes=2), T0)
    assert alarms.dead(None, T0 + timedelta(minutes=2, seconds=1), T0)
    assert not alarms.dead(T0, T0 + timedelta(minutes=2), T0 - timedelta(days=1))
    assert alarms.dead(T0, T0 + timedelta(minutes=2, seconds=1), T0)


@pytest.mark.parametrize(
    ("recent", "before", "rises"),
    [(9, 0, False), (10, 0, True), (10, 18, True), (10, 24, False), (40, 60, True)],
)
def test_signature_failures_rise_suddenly(recent: int, before: int, rises: bool) -> None:
    """At least 10 in 10 minutes, and more than three times the hour before's rate."""
    assert alarms.burst(recent, before) is rises


def test_changes_raise_what_started_and_clear_what_ended() -> None:
    gap = Gap("gruen", T0, T0 + timedelta(hours=1))
    facts = alarms.Facts(now=T0, since=T0 - timedelta(hours=1), beats={"worker": T0, "web": T0},
                         gaps=(gap,))  # fmt: skip
    active = alarms.conditions(facts)
    assert set(active) == {Key.ROTA}
    changes = alarms.changes(active, {Key.WORKER})
    assert [c.key for c in changes.raise_] == [Key.ROTA] and changes.clear == (Key.WORKER,)
    assert alarms.changes(active, {Key.ROTA}) == alarms.Changes((), ())


def test_alarm_texts_are_one_sms_line_each(app: Flask, provider: None, clock: Clock) -> None:
    details: dict[Key, dict[str, Any]] = {
        Key.WORKER: {"minutes": None}, Key.WEB: {"minutes": 4},
        Key.FALLBACK: {"tickets": [3, 4]}, Key.MESSAGES: {"count": 5},
        Key.SIGNATURES: {"count": 12},
        Key.ROTA: {"team": None, "count": 2, "starts_at": "2026-12-01T17:00:00+00:00"},
    }  # fmt: skip
    with app.app_context():
        session = db.session()
        for key, detail in details.items():
            watch.tell(session, alarms.Condition(key, detail), True, clock())
            watch.tell(session, alarms.Condition(key, {}), False, clock())
        session.commit()
    sms = [b for c, to, b in alarm_messages(app) if c == "sms" and to == FALLBACK]
    assert len(sms) == 12 and all("\n" not in b and len(b) < 320 for b in sms)
    assert "Bereitschaftslücke ab 01.12. 18:00 (alle Teams und 1 weitere)" in sms[10]
    assert "2 Notrufe sind bei der Rückfallnummer gelandet (Notfälle #3, #4)" in sms[4]


def test_the_web_process_timer_beats_at_once_and_stops_when_told(
    app: Flask, provider: None, clock: Clock
) -> None:
    """`run` is the timer thread's body: a tick at once, then one every 30 s until stopped
    (told before it starts, it ticks once and returns: no waiting in the test)."""
    web = watch.Watchman(app)
    web.stop()
    web.run()
    with app.app_context():
        assert heartbeat.beats(db.session()) == {"web": clock()}
