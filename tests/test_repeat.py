"""Calls that repeat, as one-line decisions (escalation/repeat.py, no app, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from escalation import callflow as cf
from escalation import repeat
from escalation.callflow import Call, Effect, Kind, State
from escalation.chain import Chain, Entry
from escalation.repeat import Joins, Open

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
NUMBERS = ["+491710000000", "+491710000001", "+491710000002", "+491710000003"]


def earlier(state: State, ended: bool, confirmed: bool = True, **more: object) -> Open:
    call = Call(state, confirmed_at=T0 if confirmed else None, ended=ended)
    return Open(call, arrived_at=T0, **{"resolved": False, **more})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "ended", "confirmed", "joins"),
    [
        # the earlier call is still going: nobody else is rung
        (State.IDENTIFYING, False, False, Joins.IN_HAND),
        (State.CONFIRMING, False, False, Joins.IN_HAND),
        (State.RINGING, False, True, Joins.IN_HAND),
        (State.CONNECTED, False, True, Joins.IN_HAND),
        (State.VOICEMAIL, False, True, Joins.IN_HAND),
        # a voicemail waits for a call-back
        (State.CALLBACK_PENDING, True, True, Joins.MESSAGE_WAITING),
        (State.CALLBACK_PENDING, False, True, Joins.MESSAGE_WAITING),
        # over: the new call rings again on the same ticket
        (State.CONNECTED, True, True, Joins.WALK),  # the call dropped
        (State.ABANDONED, True, True, Joins.WALK),  # hung up while it rang
        (State.VOICEMAIL, True, True, Joins.WALK),  # hung up at the tone, said nothing
        (State.LOST, True, True, Joins.WALK),
        # never an emergency: a ticket of its own
        (State.ABANDONED, True, False, None),  # hung up at the question
        (State.NOT_EMERGENCY, False, False, None),
        (State.NOT_EMERGENCY, True, False, None),
        (State.URGENT, False, False, None),  # urgent, not an emergency: the next working day
        (State.REFERRED, True, False, None),
        (State.BLOCKED, True, False, None),
    ],
)
def test_how_a_repeat_call_joins(state: State, ended: bool, confirmed: bool, joins: Joins) -> None:
    assert repeat.joins(earlier(state, ended, confirmed), T0 + timedelta(minutes=3)) is joins


def test_a_resolved_or_old_ticket_is_not_joined() -> None:
    dropped = earlier(State.CONNECTED, True)
    assert repeat.joins(dropped, T0 + repeat.WINDOW) is Joins.WALK
    assert repeat.joins(dropped, T0 + repeat.WINDOW + timedelta(seconds=1)) is None
    assert repeat.joins(earlier(State.CONNECTED, True, resolved=True), T0) is None


def test_joining_a_call_that_is_over_takes_the_ticket_over_and_walks() -> None:
    step = repeat.join(Joins.WALK, "CA2", caller_as_sent="+4930")
    assert (step.action, step.state, step.question) == (cf.Walk(), State.RINGING, None)
    assert step.effects == (Effect.TAKE_OVER,)
    [note] = step.notes
    assert note.kind is Kind.CALLED_AGAIN
    assert note.detail == {"call_sid": "CA2", "joins": "walk", "caller_as_sent": "+4930"}


def test_joining_a_waiting_voicemail_tells_the_engineers_again_and_changes_no_state() -> None:
    waiting = repeat.join(Joins.MESSAGE_WAITING, "CA2")
    assert (waiting.action, waiting.state, waiting.effects) == (
        cf.InHand(waiting=True), None, (Effect.REANNOUNCE,),
    )  # fmt: skip
    in_hand = repeat.join(Joins.IN_HAND, "CA2")
    assert (in_hand.action, in_hand.state, in_hand.effects) == (cf.InHand(False), None, ())
    assert in_hand.notes[0].detail["joins"] == "in hand"


def test_a_message_on_a_repeat_call_is_kept_once() -> None:
    kept = repeat.message(False, "CA2", 12, "https://api.twilio.com/R9")
    assert (kept.action, kept.effects) == (cf.Goodbye("thanks"), (Effect.KEEP_REPEAT_MESSAGE,))
    assert kept.notes[0].kind is Kind.MESSAGE_AGAIN
    assert kept.notes[0].detail == {"call_sid": "CA2", "seconds": 12}
    unknown_length = repeat.message(False, "CA2", None, "https://api.twilio.com/R9")
    assert unknown_length.effects == (Effect.KEEP_REPEAT_MESSAGE,)
    again = repeat.message(True, "CA2", 12, "https://api.twilio.com/R9")
    assert (again.action, again.effects, again.notes) == (cf.Goodbye("thanks"), (), ())
    for seconds, url in ((0, "https://api.twilio.com/R9"), (5, None)):
        empty = repeat.message(False, "CA2", seconds, url)
        assert (empty.action, empty.effects) == (cf.Goodbye("no_recording"), ())


def entry(number: str, engineer: str | None, level: str = "own-primary") -> Entry:
    return Entry(level, number, engineer, engineer or "Fallback", 20, "on call")


def test_the_newest_joinable_ticket_is_joined() -> None:
    later = T0 + timedelta(minutes=5)
    tickets = [earlier(State.NOT_EMERGENCY, True, False), earlier(State.CALLBACK_PENDING, True)]
    assert repeat.pick(tickets, later) == (1, Joins.MESSAGE_WAITING)
    assert repeat.pick(tickets[:1], later) is None
    assert repeat.pick([], later) is None


def test_a_taken_over_ticket_rings_the_engineer_who_accepted_first_then_todays_chain() -> None:
    now = Chain((entry(NUMBERS[1], "mia"), entry(NUMBERS[2], "jonas", "pool"),
                 entry(NUMBERS[3], None, "fallback")))  # fmt: skip
    jonas = entry(NUMBERS[2], "jonas", "own-secondary")
    chain = repeat.rechain(now, jonas)
    assert [(e.engineer, e.level) for e in chain.entries] == [
        ("jonas", "own-secondary"), ("mia", "own-primary"), (None, "fallback"),
    ]  # fmt: skip
    assert chain.entries[0].reason == "accepted the earlier call"
    # nobody accepted before (hung up while it rang): the chain as the rota gives it now
    assert repeat.rechain(now, None) == now
    # the first engineer of the new chain is rung first: the walk from the top
    call = Call(State.RINGING, confirmed_at=T0)
    numbers = [e.number for e in chain.entries]
    assert cf.walk(call, numbers, T0, timedelta(minutes=4)) == cf.Dial((0, 1, 2), 240)
