"""Every branch of the call as a one-line decision (escalation/callflow.py, no app, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation import callflow as cf
from escalation.callflow import Call, CallStatus, Effect, Kind, Outcome, Question, State

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
HOLD = timedelta(minutes=4)


def asking(question: Question, try_: int = 1, **more: object) -> Call:
    state = State.CONFIRMING if question is Question.CONFIRMATION else State.IDENTIFYING
    return Call(state, question, try_, **more)  # type: ignore[arg-type]


def ringing(*outcomes: Outcome, **more: object) -> Call:
    attempts = tuple(
        cf.Attempt(i + 1, i, f"+4917100000{i}", outcome) for i, outcome in enumerate(outcomes)
    )
    return Call(State.RINGING, confirmed_at=T0, attempts=attempts, **more)  # type: ignore[arg-type]


def kinds(step: cf.Step) -> list[Kind]:
    return [note.kind for note in step.notes]


# --- arrive, identify, confirm ---------------------------------------------------------------


def test_identified_callers_confirm_unknown_ones_type_their_number() -> None:
    known = cf.arrive("10042", "number", None, caller_as_sent="+4930")
    assert (known.action, known.state, known.customer) == (
        cf.Ask(Question.CONFIRMATION, 1, greet=True), State.CONFIRMING, cf.Customer.IDENTIFY,
    )  # fmt: skip
    assert kinds(known) == [Kind.ARRIVED, Kind.IDENTIFIED]
    unknown = cf.arrive(None, None, "withheld")
    assert (unknown.action, unknown.state) == (
        cf.Ask(Question.CUSTOMER_NUMBER, 1),
        State.IDENTIFYING,
    )
    assert unknown.notes[1].detail == {"reason": "withheld"}


@pytest.mark.parametrize(
    ("found", "pin", "try_", "refer", "action", "state"),
    [
        ("10042", False, 1, False, cf.Ask(Question.CONFIRMATION, 1, True), State.CONFIRMING),
        ("20077", True, 2, False, cf.Ask(Question.PIN, 1), State.IDENTIFYING),
        (None, False, 1, False, cf.Ask(Question.CUSTOMER_NUMBER, 2), State.IDENTIFYING),
        (None, False, 2, False, cf.Ask(Question.CONFIRMATION, 1), State.CONFIRMING),  # pool
        (None, False, 2, True, cf.Refer(), State.REFERRED),
    ],
)
def test_customer_number(
    found: str | None, pin: bool, try_: int, refer: bool, action: cf.Action, state: State
) -> None:
    step = cf.customer_number(asking(Question.CUSTOMER_NUMBER, try_), try_, "1", found, pin, refer)
    assert (step.action, step.state) == (action, state)
    assert step.notes[0] == cf.Note(Kind.CUSTOMER_NUMBER, {"digits": "1", "found": bool(found)})


def test_a_typed_customer_with_a_pin_is_claimed_not_identified() -> None:
    step = cf.customer_number(asking(Question.CUSTOMER_NUMBER), 1, "20077", "20077", True, False)
    assert step.customer is cf.Customer.CLAIM and step.identified_by is None


def test_pin_is_compared_exactly_and_twice_wrong_forgets_the_claim() -> None:
    claimed = asking(Question.PIN, customer=True)
    right = cf.pin(claimed, 1, "4711#", "4711", "20077", False)
    assert (right.state, right.customer, right.identified_by) == (
        State.CONFIRMING, cf.Customer.IDENTIFY, "pin",
    )  # fmt: skip
    assert cf.pin(claimed, 1, "471", "4711", "20077", False).action == cf.Ask(Question.PIN, 2)
    wrong = cf.pin(asking(Question.PIN, 2, customer=True), 2, "0000", "4711", "20077", False)
    assert (wrong.action, wrong.customer) == (cf.Ask(Question.CONFIRMATION, 1), cf.Customer.FORGET)
    nothing = cf.Ask(Question.PIN, 2, nothing_typed=True)  # asked again: nothing came through
    assert cf.pin(claimed, 1, "", None, "20077", False).action == nothing


@pytest.mark.parametrize(
    ("digits", "try_", "action", "state"),
    [
        ("1", 1, cf.Walk(), State.RINGING),
        ("2", 1, cf.TakeMessage(), State.NOT_EMERGENCY),
        ("", 1, cf.Walk(), State.RINGING),  # silence: rung through at once, toward a human
        ("9", 1, cf.Ask(Question.CONFIRMATION, 2), State.CONFIRMING),
        ("9", 2, cf.Walk(), State.RINGING),  # a wrong key twice: toward a human too
        ("2", 2, cf.TakeMessage(), State.NOT_EMERGENCY),
    ],
)
def test_confirmation(digits: str, try_: int, action: cf.Action, state: State) -> None:
    known = asking(Question.CONFIRMATION, try_, customer=True)
    step = cf.confirmation(known, try_, digits)
    assert (step.action, step.state) == (action, state)
    assert (Effect.FREEZE_CHAIN in step.effects) == isinstance(action, cf.Walk)


@pytest.mark.parametrize(
    "call",
    [
        asking(Question.CONFIRMATION, 2),  # a late answer to the first try
        asking(Question.CUSTOMER_NUMBER),  # an answer to another question
        ringing(Outcome.RINGING),  # the emergency was confirmed already
        Call(State.CONFIRMING, Question.CONFIRMATION, 1, ended=True),  # the caller is gone
    ],
)
def test_an_answer_the_call_is_not_waiting_for_changes_nothing(call: Call) -> None:
    step = cf.confirmation(call, 1, "1")
    assert step == cf.where(call)
    assert (step.state, step.notes, step.effects) == (None, (), ())


@pytest.mark.parametrize(
    ("customer", "typed", "policy", "silent"),
    [(False, False, True, True), (True, False, True, False), (False, True, True, False),
     (False, False, False, False)],
)  # fmt: skip
def test_only_an_unknown_caller_who_pressed_nothing_goes_to_the_voicemail(
    customer: bool, typed: bool, policy: bool, silent: bool
) -> None:
    call = asking(Question.CONFIRMATION, 1, customer=customer, typed=typed)
    step = cf.confirmation(call, 1, "", policy)
    assert isinstance(step.action, cf.Voicemail) == silent
    assert (Kind.SILENT in kinds(step)) == silent


def test_a_blocked_caller_is_refused() -> None:
    step = cf.refuse(caller_as_sent="+4930")
    assert (step.action, step.state) == (cf.Goodbye("blocked"), State.BLOCKED)


def test_where_says_what_the_caller_hears_now() -> None:
    assert cf.where(asking(Question.PIN, 2)).action == cf.Ask(Question.PIN, 2)
    assert cf.where(ringing(Outcome.NO_ANSWER, Outcome.RINGING)).action == cf.Ring(2)
    assert cf.where(ringing(Outcome.NO_ANSWER)).action == cf.Walk()
    assert cf.where(Call(State.VOICEMAIL)).action == cf.Voicemail("repeat")
    assert cf.where(Call(State.CONNECTED)).action == cf.Goodbye("goodbye")


# --- walking the chain -----------------------------------------------------------------------


def test_walk_goes_forward_and_skips_numbers_already_dialled() -> None:
    numbers = ["+491", "+492", "+491", "+493"]
    fresh = Call(State.RINGING, confirmed_at=T0)
    assert cf.walk(fresh, numbers, T0, HOLD) == cf.Dial((0, 1, 3), 240)
    tried = Call(State.RINGING, confirmed_at=T0, attempts=(cf.Attempt(1, 0, "+491"),))
    assert cf.walk(tried, numbers, T0 + timedelta(seconds=25), HOLD) == cf.Dial((1, 3), 215)


def test_walk_ends_in_voicemail() -> None:
    both = Call(State.RINGING, confirmed_at=T0,
                attempts=(cf.Attempt(1, 0, "+491"), cf.Attempt(2, 1, "+492")))  # fmt: skip
    assert cf.walk(both, ["+491", "+492"], T0, HOLD) == cf.Voicemail("chain exhausted")
    fresh = Call(State.RINGING, confirmed_at=T0)
    assert cf.walk(fresh, ["+491"], T0 + HOLD, HOLD) == cf.Voicemail("maximum hold time")
    assert cf.walk(fresh, [], T0, HOLD) == cf.Voicemail("chain exhausted")


def test_ring_timeout_is_capped_by_the_hold_time_but_never_below_twilios_minimum() -> None:
    assert cf.ring_timeout(20, 240) == 20
    assert cf.ring_timeout(20, 12) == 12
    assert cf.ring_timeout(20, 2) == cf.MIN_RING


@given(
    numbers=st.lists(st.sampled_from(["+491", "+492", "+493", "+494"]), max_size=8),
    tried_count=st.integers(0, 8),
    waited=st.integers(0, 400),
)
def test_the_walk_never_dials_a_number_twice_and_always_ends(
    numbers: list[str], tried_count: int, waited: int
) -> None:
    tried = [cf.Attempt(i + 1, i, numbers[i]) for i in range(min(tried_count, len(numbers)))]
    call = Call(State.RINGING, confirmed_at=T0, attempts=tuple(tried))
    step = cf.walk(call, numbers, T0 + timedelta(seconds=waited), HOLD)
    if isinstance(step, cf.Dial):
        chosen = [numbers[i] for i in step.candidates]
        assert len(chosen) == len(set(chosen))
        assert not set(chosen) & {t.number for t in tried}
        assert all(i > max((t.entry for t in tried), default=-1) for i in step.candidates)
        assert step.timeout_cap >= cf.MIN_RING
    else:
        dialled = {t.number for t in tried}
        remaining = {numbers[i] for i in range(len(tried), len(numbers))} - dialled
        assert waited > 240 - cf.MIN_RING or not remaining


# --- the engineer's leg ----------------------------------------------------------------------


def test_the_whisper_screens_once_and_refuses_a_finished_attempt() -> None:
    first = cf.whisper(ringing(Outcome.RINGING), 1)
    assert (first.action, first.answered, kinds(first)) == (cf.Screen(1), 1, [Kind.ANSWERED])
    answered = Call(State.RINGING, attempts=(cf.Attempt(1, 0, "+491", answered=True),))
    assert cf.whisper(answered, 1) == cf.Step(cf.Screen(1))
    assert cf.whisper(ringing(Outcome.NO_ANSWER), 1).action == cf.Taken()
    assert cf.whisper(ringing(Outcome.RINGING, accepted=1), 1).action == cf.Taken()
    assert cf.whisper(ringing(Outcome.RINGING), 7).action == cf.Taken()


@pytest.mark.parametrize(
    ("call", "digits", "action", "outcome"),
    [
        (ringing(Outcome.RINGING), "1", cf.Bridge(), Outcome.ACCEPTED),
        (ringing(Outcome.RINGING), "2", cf.Hangup(), Outcome.DECLINED),
        (ringing(Outcome.RINGING), "7", cf.Hangup(), None),
        (ringing(Outcome.RINGING), "", cf.Hangup(), None),
        (ringing(Outcome.ACCEPTED, accepted=1), "1", cf.Bridge(), None),  # Twilio repeated it
        (ringing(Outcome.RINGING, accepted=9), "1", cf.Taken(), None),  # someone else was first
        (ringing(Outcome.RINGING, ended=True), "1", cf.Taken(), None),  # the caller hung up
        (ringing(Outcome.NO_ANSWER), "1", cf.Taken(), None),
    ],
)
def test_only_a_1_on_a_ringing_attempt_accepts(
    call: Call, digits: str, action: cf.Action, outcome: Outcome | None
) -> None:
    step = cf.key(call, 1, digits, "jonas")
    assert step.action == action
    assert (step.outcome[1] if step.outcome else None) == outcome
    if outcome is Outcome.ACCEPTED:
        assert step.state is State.CONNECTED and Effect.TELL_ACCEPTED in step.effects


# --- after a dial ends -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accepted", "declined", "status", "outcome"),
    [
        (True, False, CallStatus.COMPLETED, Outcome.ACCEPTED),
        (False, True, CallStatus.COMPLETED, Outcome.DECLINED),
        (False, False, CallStatus.COMPLETED, Outcome.NOT_ACCEPTED),  # a voicemail box answered
        (False, False, CallStatus.ANSWERED, Outcome.NOT_ACCEPTED),
        (False, False, CallStatus.NO_ANSWER, Outcome.NO_ANSWER),
        (False, False, CallStatus.BUSY, Outcome.BUSY),
        (False, False, CallStatus.FAILED, Outcome.FAILED),
        (False, False, CallStatus.CANCELED, Outcome.CANCELLED),
        (False, False, None, Outcome.NOT_ACCEPTED),
    ],
)
def test_only_our_accept_flag_means_accepted(
    accepted: bool, declined: bool, status: CallStatus | None, outcome: Outcome
) -> None:
    assert cf.outcome(accepted, declined, status) is outcome


def test_twilio_statuses_are_mapped_once() -> None:
    assert CallStatus.parse("no-answer") is CallStatus.NO_ANSWER
    assert CallStatus.parse(" Completed ") is CallStatus.COMPLETED
    assert CallStatus.parse("canceled").ended and not CallStatus.parse("ringing").ended
    assert CallStatus.parse("exploded") is None and CallStatus.parse(None) is None


def test_dial_ended() -> None:
    won = cf.dial_ended(ringing(Outcome.ACCEPTED, accepted=1), 1, CallStatus.COMPLETED, 720, False)
    assert (won.action, won.outcome) == (cf.Goodbye("goodbye"), (1, Outcome.ACCEPTED))
    assert won.notes[-1] == cf.Note(Kind.BRIDGED_ENDED, {"seconds": 720})
    walk = cf.dial_ended(ringing(Outcome.RINGING), 1, CallStatus.NO_ANSWER, 0, False)
    assert (walk.action, walk.outcome, walk.effects) == (
        cf.Walk(), (1, Outcome.NO_ANSWER), (Effect.RELEASE,),
    )  # fmt: skip
    gone = cf.dial_ended(ringing(Outcome.RINGING), 1, CallStatus.NO_ANSWER, 0, True)
    assert gone.action == cf.Hangup()
    done = Call(State.RINGING, attempts=(cf.Attempt(1, 0, "+491", Outcome.NO_ANSWER, ended=True),))
    assert cf.dial_ended(done, 1, CallStatus.NO_ANSWER, 0, False) == cf.where(done)
    loser = cf.dial_ended(ringing(Outcome.RINGING, accepted=2), 1, CallStatus.NO_ANSWER, 0, False)
    assert loser.action == cf.Hangup() and Effect.RELEASE not in loser.effects
    hung_up_first = cf.dial_ended(ringing(Outcome.CANCELLED), 1, CallStatus.COMPLETED, 0, True)
    assert hung_up_first.outcome == (1, Outcome.CANCELLED)


# --- recordings, hang-ups, the sweeper, the fallback ------------------------------------------


def test_voicemail_and_message() -> None:
    left = cf.voicemail(Call(State.VOICEMAIL), 31, "https://api.twilio.com/R1")
    assert (left.state, left.effects) == (State.CALLBACK_PENDING, (Effect.ANNOUNCE_VOICEMAIL,))
    assert cf.voicemail(Call(State.VOICEMAIL), 0, "x").action == cf.Goodbye("no_recording")
    assert cf.voicemail(Call(State.CALLBACK_PENDING), 31, "x") == cf.Step(cf.Goodbye("thanks"))
    assert cf.message(Call(State.NOT_EMERGENCY), 12, "x").effects == (Effect.FORWARD_MESSAGE,)
    again = Call(State.NOT_EMERGENCY, recorded=True)
    assert cf.message(again, 12, "x").effects == ()


@pytest.mark.parametrize(
    ("state", "after"),
    [
        (State.RINGING, State.ABANDONED),
        (State.CONFIRMING, State.ABANDONED),
        (State.CONNECTED, State.CONNECTED),
        (State.CALLBACK_PENDING, State.CALLBACK_PENDING),
        (State.NOT_EMERGENCY, State.NOT_EMERGENCY),
    ],
)
def test_hangup(state: State, after: State) -> None:
    step = cf.hangup(Call(state), CallStatus.COMPLETED, 40)
    assert (step.state, step.ended) == (after, True)
    assert (Effect.TELL_MISSED in step.effects) == (after is State.ABANDONED)


def test_a_hangup_in_the_voicemail_step_waits_for_the_recording() -> None:
    """Callers end a voicemail by hanging up: the status callback may come first."""
    gone = cf.hangup(Call(State.VOICEMAIL), CallStatus.COMPLETED, 50)
    assert (gone.state, gone.ended, gone.effects) == (None, True, (Effect.RELEASE,))
    ended = Call(State.VOICEMAIL, ended=True)
    left = cf.voicemail(ended, 31, "https://api.twilio.com/R1")
    assert left.state is State.CALLBACK_PENDING and Effect.ANNOUNCE_VOICEMAIL in left.effects
    grace = cf.RECORDING_GRACE
    assert not cf.stuck(State.VOICEMAIL, T0, T0 + grace, timedelta(hours=4), HOLD, ended=True)
    assert cf.stuck(State.VOICEMAIL, T0, T0 + 2 * grace, timedelta(hours=4), HOLD, ended=True)
    nothing = cf.lost(ended, T0)
    assert (nothing.state, nothing.effects) == (State.ABANDONED, (Effect.TELL_MISSED,))


def test_a_hangup_cancels_the_ringing_attempt_and_repeats_change_nothing() -> None:
    step = cf.hangup(ringing(Outcome.NO_ANSWER, Outcome.RINGING), CallStatus.CANCELED, 40)
    assert step.outcome == (2, Outcome.CANCELLED)
    assert cf.hangup(Call(State.ABANDONED, ended=True), CallStatus.COMPLETED, 40) == cf.Step(
        cf.Silent()
    )
    assert cf.hangup(Call(State.RINGING), CallStatus.RINGING, 0) == cf.Step(cf.Silent())
    assert cf.hangup(Call(State.RINGING), None, 0) == cf.Step(cf.Silent())


def test_the_sweeper_closes_what_twilio_left_hanging() -> None:
    wait, longest = timedelta(minutes=11), timedelta(hours=4)
    assert not cf.stuck(State.RINGING, T0, T0 + timedelta(minutes=10), longest, wait)
    assert cf.stuck(State.RINGING, T0, T0 + timedelta(minutes=12), longest, wait)
    assert not cf.stuck(State.CONNECTED, T0, T0 + timedelta(hours=3), longest, wait)
    assert cf.stuck(State.CONNECTED, T0, T0 + timedelta(hours=5), longest, wait)
    assert not cf.stuck(State.CALLBACK_PENDING, T0, T0 + timedelta(days=9), longest, wait)
    lost = cf.lost(ringing(Outcome.RINGING), T0)
    assert (lost.state, lost.outcome, lost.ended) == (State.LOST, (1, Outcome.CANCELLED), True)
    assert set(lost.effects) == {Effect.RELEASE, Effect.TELL_MISSED}
    bridged = cf.lost(Call(State.CONNECTED), T0)
    assert (bridged.state, bridged.effects) == (State.CONNECTED, (Effect.RELEASE,))


def test_the_fallback_path_replayed() -> None:
    assert kinds(cf.fell_back("/voice/confirm", "")) == [Kind.FALLBACK]
    assert cf.fallback_bridged(Call(State.RINGING), 60).state is State.CONNECTED
    left = cf.fallback_voicemail(Call(State.RINGING), 20, "https://api.twilio.com/R9")
    assert (left.state, Effect.ANNOUNCE_VOICEMAIL in left.effects) == (State.CALLBACK_PENDING, True)
    assert cf.fallback_voicemail(Call(State.RINGING, recorded=True), 20, "x").state is None


@given(
    state=st.sampled_from(list(State)),
    status=st.sampled_from([*CallStatus, None]),
    ended=st.booleans(),
)
def test_no_event_ever_leaves_a_final_state_for_a_live_one(
    state: State, status: CallStatus | None, ended: bool
) -> None:
    call = Call(state, ended=ended, attempts=(cf.Attempt(1, 0, "+491"),), confirmed_at=T0)
    steps = [
        cf.hangup(call, status, 0),
        cf.dial_ended(call, 1, status, 0, False),
        cf.key(call, 1, "1", None),
        cf.confirmation(call, 1, "1"),
        cf.where(call),
    ]
    for step in steps:
        if state.final and step.state is not None:
            assert step.state.final or step.state is state


def test_a_bridged_dial_without_our_accept_was_a_human_accepting_during_an_outage() -> None:
    step = cf.dial_ended(ringing(Outcome.RINGING), 1, CallStatus.COMPLETED, 60, False, True)
    assert (step.state, step.outcome, step.action) == (
        State.CONNECTED, (1, Outcome.ACCEPTED), cf.Goodbye("goodbye"),
    )  # fmt: skip
    declined = cf.dial_ended(ringing(Outcome.DECLINED), 1, CallStatus.COMPLETED, 0, False, True)
    assert declined.outcome == (1, Outcome.DECLINED)
