"""The emergency call as decisions: what happens next, given what the caller and engineers did.

Pure functions over plain values. The webhooks in `hotline/voice/` load a ticket, ask one of these
functions, store the answer and render it as TwiML; every branch of a call is a one-line test here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

TRIES = 2  # keypad questions are asked at most twice
MIN_RING = 5  # Twilio's lower bound for <Dial timeout>

# Ticket states. A call moves left to right; the last four are where a call can end.
IDENTIFYING = "identifying"
CONFIRMING = "confirming"
RINGING = "ringing"
VOICEMAIL = "voicemail"
CONNECTED = "connected"
CALLBACK_PENDING = "callback_pending"
NOT_EMERGENCY = "not_emergency"
REFERRED = "referred"
ABANDONED = "abandoned"
FINAL = {CONNECTED, CALLBACK_PENDING, NOT_EMERGENCY, REFERRED, ABANDONED}


# --- what to do next ---------------------------------------------------------------------


@dataclass(frozen=True)
class AskCustomerNumber:
    attempt: int


@dataclass(frozen=True)
class AskPin:
    attempt: int


@dataclass(frozen=True)
class AskConfirmation:
    attempt: int


@dataclass(frozen=True)
class Refer:
    """An unidentified caller, and the provider refers such callers to the office."""


@dataclass(frozen=True)
class NotEmergency:
    """Explain the normal way (ticket system, support mailbox) and take a short message."""


@dataclass(frozen=True)
class Walk:
    """The caller confirmed an emergency (or did not answer twice): freeze the chain, dial."""


@dataclass(frozen=True)
class Dial:
    """Try these chain entries in order; the first that can be claimed is dialled."""

    candidates: tuple[int, ...]
    timeout_cap: int  # seconds of hold time left: no entry rings longer than this


@dataclass(frozen=True)
class Voicemail:
    reason: str  # "chain exhausted" | "maximum hold time"


Step = AskCustomerNumber | AskPin | AskConfirmation | Refer | NotEmergency | Walk | Dial | Voicemail


# --- identification and confirmation -------------------------------------------------------


def unidentified(refer: bool) -> Step:
    """Nobody recognised: by default a real emergency from a personal mobile still goes on."""
    return Refer() if refer else AskConfirmation(1)


def after_caller_id(identified: bool) -> Step:
    return AskConfirmation(1) if identified else AskCustomerNumber(1)


def after_customer_number(found: bool, needs_pin: bool, attempt: int, refer: bool) -> Step:
    if found:
        return AskPin(1) if needs_pin else AskConfirmation(1)
    if attempt < TRIES:
        return AskCustomerNumber(attempt + 1)
    return unidentified(refer)


def after_pin(correct: bool, attempt: int, refer: bool) -> Step:
    """A wrong PIN twice leaves the caller unidentified, never stranded."""
    if correct:
        return AskConfirmation(1)
    if attempt < TRIES:
        return AskPin(attempt + 1)
    return unidentified(refer)


def after_confirmation(digits: str, attempt: int) -> Step:
    """1: emergency. 2: not. Anything else twice: treat as an emergency (fail toward a human)."""
    if digits == "1":
        return Walk()
    if digits == "2":
        return NotEmergency()
    if attempt < TRIES:
        return AskConfirmation(attempt + 1)
    return Walk()


# --- walking the chain ---------------------------------------------------------------------


@dataclass(frozen=True)
class Tried:
    """One earlier attempt of this ticket, as far as the walk cares."""

    entry: int
    number: str


def next_dial(
    numbers: Sequence[str],
    tried: Sequence[Tried],
    walk_started: datetime,
    now: datetime,
    max_hold: timedelta,
) -> Dial | Voicemail:
    """The entries still worth trying after the last attempt, or voicemail.

    `numbers` is the frozen chain's numbers in order. The walk goes forward only, skips every
    number already dialled for this ticket, and stops when the caller has waited `max_hold`.
    """
    left = max_hold - (now - walk_started)
    if left.total_seconds() < MIN_RING:
        return Voicemail("maximum hold time")
    start = max((t.entry for t in tried), default=-1) + 1
    seen = {t.number for t in tried}
    candidates: list[int] = []
    for index in range(start, len(numbers)):
        if numbers[index] not in seen:
            seen.add(numbers[index])
            candidates.append(index)
    if not candidates:
        return Voicemail("chain exhausted")
    return Dial(tuple(candidates), int(left.total_seconds()))


def ring_timeout(entry_timeout: int, cap: int) -> int:
    return max(MIN_RING, min(entry_timeout, cap))


# --- after a dial ends ---------------------------------------------------------------------

DIAL_OUTCOMES = {"no-answer", "busy", "failed", "canceled"}


def dial_outcome(accepted: bool, declined: bool, dial_status: str) -> str:
    """The attempt's outcome. Only our own accept flag means accepted (twilio-facts.md §2.1):
    an answered call whose whisper hung up reports `completed` too."""
    if accepted:
        return "accepted"
    if declined:
        return "declined"
    if dial_status in DIAL_OUTCOMES:
        return dial_status
    return "not-accepted"


def after_hangup(state: str) -> str:
    """The state when the caller's call has ended."""
    return state if state in FINAL else ABANDONED
