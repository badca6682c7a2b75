"""Calls that repeat: the same number calling again while its emergency is still open.

One emergency is one ticket. A caller whose call dropped, who hung up because it rang too
long, or who rings from a second phone of the same line must not open a second ticket and wake
the whole chain again. Pure decisions over the core's `Call`; `hotline/calls.py` finds the open
ticket (by the caller ID, under a lock on the number) and applies the step.

What the new call gets depends on where the earlier call is:

- still going (being identified, ringing engineers, talking, leaving a voicemail): nobody else
  is rung; the caller hears their emergency is being handled and may leave a message;
- over, with a voicemail waiting for a call-back: the caller hears their message is there,
  the engineers are told again at once, and may leave another message;
- over, after an engineer took it (a dropped call) or after nobody did (hung up while it rang
  or at the voicemail's tone, closed by the sweeper): the new call takes the ticket over and
  walks the chain again: the chain as the rota stands now (`rechain`), with the engineer who
  accepted before rung first (a dropped call is reconnected to the same person).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from escalation.callflow import (
    Call,
    Effect,
    Goodbye,
    Hold,
    InHand,
    Kind,
    Note,
    State,
    Step,
    Walk,
)
from escalation.chain import Chain, Entry

# A ticket opened longer ago than this is not joined: a call the next day is a new emergency.
WINDOW = timedelta(hours=12)

# Tickets that were never an emergency, or that ended without one, are never joined.
_NEVER = frozenset({State.NOT_EMERGENCY, State.URGENT, State.REFERRED, State.BLOCKED})
# Over, and nobody has the customer now: the new call walks the chain again on the same ticket.
_WALK_AGAIN = frozenset({State.CONNECTED, State.VOICEMAIL, State.ABANDONED, State.LOST})


class Joins(StrEnum):
    """How a repeat call joins the open ticket (stored on the repeat call and the timeline)."""

    IN_HAND = "in hand"  # the earlier call is still going
    MESSAGE_WAITING = "message waiting"  # their voicemail waits for a call-back
    WALK = "walk"  # the earlier call is over: this one takes the ticket over and rings again


@dataclass(frozen=True)
class Open:
    """The newest ticket of the caller's number, as the decision needs it."""

    call: Call
    arrived_at: datetime
    resolved: bool


def joins(ticket: Open, now: datetime) -> Joins | None:
    """How a new call from the same number joins `ticket`, or None: it opens a ticket of its own.

    A ticket joins while it is not resolved and was opened within `WINDOW`. A live call joins in
    every state but the three that are no emergency; an ended call only once it was confirmed as
    an emergency (a caller who hung up at the question starts afresh).
    """
    call = ticket.call
    if ticket.resolved or now - ticket.arrived_at > WINDOW or call.state in _NEVER:
        return None
    if call.state is State.CALLBACK_PENDING:
        return Joins.MESSAGE_WAITING
    if not call.ended:
        return Joins.IN_HAND
    if call.confirmed_at is None:
        return None
    return Joins.WALK if call.state in _WALK_AGAIN else None


def pick(tickets: Sequence[Open], now: datetime) -> tuple[int, Joins] | None:
    """The newest of the caller's tickets (newest first) that a new call joins, and how."""
    for index, ticket in enumerate(tickets):
        how = joins(ticket, now)
        if how is not None:
            return index, how
    return None


def rechain(current: Chain, accepted: Entry | None) -> Chain:
    """The chain a taken-over ticket walks: the one the rota gives now, with the engineer who
    accepted the earlier call first (the caller reaches the same person again)."""
    if accepted is None:
        return current
    first = replace(accepted, reason="accepted the earlier call")
    rest = tuple(entry for entry in current.entries if entry.number != accepted.number)
    return replace(current, entries=(first, *rest))


def join(how: Joins, call_sid: str, call: Call | None = None, **sent: Any) -> Step:
    """The repeat call's first step on the ticket it joins; `sent` is what Twilio sent.

    A second phone of the same line while the emergency is being talked about in the conference
    bridge (`call`) joins that conversation (a colleague of the caller, or the caller on another
    phone); it neither starts nor ends it.
    """
    note = Note(Kind.CALLED_AGAIN, {"call_sid": call_sid, "joins": how.value, **sent})
    if how is Joins.WALK:
        return Step(Walk(), state=State.RINGING, question=None, notes=(note,),
                    effects=(Effect.TAKE_OVER,))  # fmt: skip
    talking = call is not None and call.bridge and call.state is State.CONNECTED
    if how is Joins.IN_HAND and talking and call is not None and not call.ended:
        return Step(Hold(joins=True), notes=(note,))
    waiting = how is Joins.MESSAGE_WAITING
    return Step(InHand(waiting), notes=(note,), effects=(Effect.REANNOUNCE,) if waiting else ())


def where(how: Joins) -> Step:
    """Another request of a repeat call that did not take the ticket over: what it hears."""
    return Step(InHand(how is Joins.MESSAGE_WAITING))


def message(kept: bool, call_sid: str, seconds: int | None, url: str | None) -> Step:
    """The message a repeat caller left after `InHand`; `kept`: this call's message is stored
    already (Twilio sent the recording again). An empty recording is no message."""
    if kept:
        return Step(Goodbye("thanks"))
    if not url or (seconds is not None and seconds <= 0):
        return Step(Goodbye("no_recording"))
    return Step(
        Goodbye("thanks"),
        notes=(Note(Kind.MESSAGE_AGAIN, {"call_sid": call_sid, "seconds": seconds}),),
        effects=(Effect.KEEP_REPEAT_MESSAGE,),
    )
