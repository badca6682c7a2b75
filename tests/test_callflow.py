"""Every branch of the call as a one-line decision (escalation/callflow.py, no app, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation import callflow as cf

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
HOLD = timedelta(minutes=4)


def test_identified_callers_confirm_unknown_ones_type_their_number() -> None:
    assert cf.after_caller_id(True) == cf.AskConfirmation(1)
    assert cf.after_caller_id(False) == cf.AskCustomerNumber(1)


@pytest.mark.parametrize(
    ("found", "pin", "attempt", "refer", "step"),
    [
        (True, False, 1, False, cf.AskConfirmation(1)),
        (True, True, 2, False, cf.AskPin(1)),
        (False, False, 1, False, cf.AskCustomerNumber(2)),
        (False, False, 2, False, cf.AskConfirmation(1)),  # unidentified, to the pool
        (False, False, 2, True, cf.Refer()),
    ],
)
def test_after_customer_number(
    found: bool, pin: bool, attempt: int, refer: bool, step: cf.Step
) -> None:
    assert cf.after_customer_number(found, pin, attempt, refer) == step


def test_after_pin() -> None:
    assert cf.after_pin(True, 2, False) == cf.AskConfirmation(1)
    assert cf.after_pin(False, 1, False) == cf.AskPin(2)
    assert cf.after_pin(False, 2, False) == cf.AskConfirmation(1)
    assert cf.after_pin(False, 2, True) == cf.Refer()


@pytest.mark.parametrize(
    ("digits", "attempt", "step"),
    [
        ("1", 1, cf.Walk()),
        ("2", 1, cf.NotEmergency()),
        ("", 1, cf.AskConfirmation(2)),
        ("9", 1, cf.AskConfirmation(2)),
        ("", 2, cf.Walk()),  # no input twice: fail toward a human
        ("2", 2, cf.NotEmergency()),
    ],
)
def test_after_confirmation(digits: str, attempt: int, step: cf.Step) -> None:
    assert cf.after_confirmation(digits, attempt) == step


def test_next_dial_walks_forward_and_skips_numbers_already_dialled() -> None:
    numbers = ["+491", "+492", "+491", "+493"]
    assert cf.next_dial(numbers, [], T0, T0, HOLD) == cf.Dial((0, 1, 3), 240)
    tried = [cf.Tried(0, "+491")]
    assert cf.next_dial(numbers, tried, T0, T0 + timedelta(seconds=25), HOLD) == cf.Dial(
        (1, 3), 215
    )


def test_next_dial_ends_in_voicemail() -> None:
    numbers = ["+491", "+492"]
    tried = [cf.Tried(0, "+491"), cf.Tried(1, "+492")]
    assert cf.next_dial(numbers, tried, T0, T0, HOLD) == cf.Voicemail("chain exhausted")
    assert cf.next_dial(numbers, [], T0, T0 + HOLD, HOLD) == cf.Voicemail("maximum hold time")
    assert cf.next_dial([], [], T0, T0, HOLD) == cf.Voicemail("chain exhausted")


def test_ring_timeout_is_capped_by_the_hold_time_but_never_below_twilios_minimum() -> None:
    assert cf.ring_timeout(20, 240) == 20
    assert cf.ring_timeout(20, 12) == 12
    assert cf.ring_timeout(20, 2) == cf.MIN_RING


@pytest.mark.parametrize(
    ("accepted", "declined", "status", "outcome"),
    [
        (True, False, "completed", "accepted"),
        (False, True, "completed", "declined"),
        (False, False, "completed", "not-accepted"),  # the whisper hung up: voicemail box
        (False, False, "answered", "not-accepted"),
        (False, False, "no-answer", "no-answer"),
        (False, False, "busy", "busy"),
        (False, False, "failed", "failed"),
        (False, False, "", "not-accepted"),
    ],
)
def test_only_our_accept_flag_means_accepted(
    accepted: bool, declined: bool, status: str, outcome: str
) -> None:
    assert cf.dial_outcome(accepted, declined, status) == outcome


@pytest.mark.parametrize(
    ("state", "after"),
    [
        (cf.RINGING, cf.ABANDONED),
        (cf.CONFIRMING, cf.ABANDONED),
        (cf.VOICEMAIL, cf.ABANDONED),
        (cf.CONNECTED, cf.CONNECTED),
        (cf.CALLBACK_PENDING, cf.CALLBACK_PENDING),
        (cf.NOT_EMERGENCY, cf.NOT_EMERGENCY),
    ],
)
def test_after_hangup(state: str, after: str) -> None:
    assert cf.after_hangup(state) == after


@given(
    numbers=st.lists(st.sampled_from(["+491", "+492", "+493", "+494"]), max_size=8),
    tried_count=st.integers(0, 8),
    waited=st.integers(0, 400),
)
def test_the_walk_never_dials_a_number_twice_and_always_ends(
    numbers: list[str], tried_count: int, waited: int
) -> None:
    tried = [cf.Tried(i, numbers[i]) for i in range(min(tried_count, len(numbers)))]
    step = cf.next_dial(numbers, tried, T0, T0 + timedelta(seconds=waited), HOLD)
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
