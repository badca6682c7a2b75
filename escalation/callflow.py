"""The emergency call as a state machine: (call, event) -> step.

Pure functions over typed values. A voice webhook loads the ticket as a `Call`, turns the request
into an event (a key press, a dial result, a status callback, a recording), asks one function
here, applies the `Step` it returns (state, open question, attempt outcome, timeline notes,
effects) and renders its `action` as TwiML. No handler assigns a state or interprets a key.

A request that does not answer what the call is waiting for (a late or out-of-order request)
gets `where(call)`: what the caller hears now, and nothing changes. Exact repeats of a request
never reach this module: the webhook guard answers them with the stored first answer.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

TRIES = 2  # keypad questions are asked at most twice
MIN_RING = 5  # Twilio's lower bound for <Dial timeout>


class State(StrEnum):
    """Where a ticket's call is. A call moves top to bottom; the last six are where it ends."""

    IDENTIFYING = "identifying"
    CONFIRMING = "confirming"
    RINGING = "ringing"
    VOICEMAIL = "voicemail"
    CONNECTED = "connected"
    CALLBACK_PENDING = "callback_pending"
    NOT_EMERGENCY = "not_emergency"
    URGENT = "urgent"  # urgent, not an emergency: a priority ticket for the next working hours
    REFERRED = "referred"
    ABANDONED = "abandoned"
    LOST = "lost"  # closed by the sweeper: Twilio never told us how the call ended
    BLOCKED = "blocked"  # the caller's number is on the provider's blocklist

    @property
    def final(self) -> bool:
        return self in FINAL


FINAL = frozenset(
    {
        State.CONNECTED,
        State.CALLBACK_PENDING,
        State.NOT_EMERGENCY,
        State.URGENT,
        State.REFERRED,
        State.ABANDONED,
        State.LOST,
        State.BLOCKED,
    }
)
# States in which the call still waits for Twilio; a ticket stuck in one is swept (`stuck`).
LIVE = frozenset({State.IDENTIFYING, State.CONFIRMING, State.RINGING, State.VOICEMAIL})


class Question(StrEnum):
    """What the caller is asked on the keypad."""

    CUSTOMER_NUMBER = "customer_number"
    PIN = "pin"
    CONFIRMATION = "confirmation"


class Outcome(StrEnum):
    """How one ring attempt ended, in our words (Twilio's `DialCallStatus` is mapped once)."""

    RINGING = "ringing"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NO_ANSWER = "no-answer"
    BUSY = "busy"
    FAILED = "failed"
    NOT_ACCEPTED = "not-accepted"  # answered (a voicemail box?) but nobody pressed 1
    CANCELLED = "cancelled"  # the caller hung up while it rang
    NOT_PLACED = "not-placed"  # the REST API did not place its leg: it never rang (bridge.py)


class CallStatus(StrEnum):
    """Twilio's call statuses (`CallStatus`, `DialCallStatus`), as Twilio spells them."""

    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    ANSWERED = "answered"
    COMPLETED = "completed"
    BUSY = "busy"
    FAILED = "failed"
    NO_ANSWER = "no-answer"
    CANCELED = "canceled"

    @classmethod
    def parse(cls, raw: str | None) -> CallStatus | None:
        """The status Twilio sent, or None for anything we do not know."""
        try:
            return cls((raw or "").strip().lower())
        except ValueError:
            return None

    @property
    def ended(self) -> bool:
        return self in ENDED


ENDED = frozenset(
    {CallStatus.COMPLETED, CallStatus.BUSY, CallStatus.FAILED, CallStatus.NO_ANSWER,
     CallStatus.CANCELED}
)  # fmt: skip
_DIAL_OUTCOMES = {
    CallStatus.NO_ANSWER: Outcome.NO_ANSWER,
    CallStatus.BUSY: Outcome.BUSY,
    CallStatus.FAILED: Outcome.FAILED,
    CallStatus.CANCELED: Outcome.CANCELLED,
}


class Kind(StrEnum):
    """The timeline's vocabulary: one word per thing that happens to a ticket.

    The values are stored; the pages translate them. Nothing decides anything by them.
    """

    ARRIVED = "arrived"
    IDENTIFIED = "identified"
    NOT_IDENTIFIED = "not identified"
    CUSTOMER_NUMBER = "customer number entered"
    PIN = "pin entered"
    UNIDENTIFIED = "continues unidentified"
    REFERRED = "referred to the office"
    CONFIRMATION = "confirmation answered"
    CONFIRMED = "emergency confirmed"
    NOT_EMERGENCY = "not an emergency"
    URGENT = "urgent, not an emergency"
    SKIPPED = "skipped"
    RINGING = "ringing"
    ANSWERED = "answered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ATTEMPT_ENDED = "attempt ended"
    BRIDGED_ENDED = "bridged call ended"
    VOICEMAIL = "voicemail"
    VOICEMAIL_LEFT = "voicemail left"
    MESSAGE_LEFT = "message left"
    CALL_ENDED = "call ended"
    ABANDONED = "abandoned"
    FALLBACK = "fell to the fallback"
    LOST = "closed without word from Twilio"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    SURCHARGE_WAIVED = "surcharge waived"
    APPOINTMENT_AT_RISK = "appointment at risk"
    APPOINTMENT_RELEASED = "appointment released"
    PERSONAL_DATA_DELETED = "personal data deleted"
    SILENT = "pressed nothing"
    BLOCKED = "blocked number"
    CALLED_AGAIN = "called again"  # the same number while its emergency is open (repeat.py)
    MESSAGE_AGAIN = "message left on a repeat call"
    BRIDGE_FALLBACK = "conference failed, ringing by dial"  # the REST API refused or was slow
    JOINED = "joined the conference"
    LEFT = "left the conference"
    PULLED_IN = "pulled into the conference"  # warm escalation: `*` in the bridge
    NOTE_ADDED = "note added"  # after the call, by the people who work the ticket
    CUSTOMER_ASSIGNED = "customer assigned"  # an unidentified caller's customer, found later
    # After a voicemail (escalation/repage.py, escalation/callback.py):
    REPAGED = "re-paged"  # a re-page call placed to an engineer's phone
    PASSED_ON = "passed on"  # the re-paged engineer pressed 3
    REPAGE_ENDED = "re-page ended"  # rounds exhausted: the SMS reminders go on
    CALLBACK = "call-back"  # the hotline calls an engineer to call the customer back
    CALLED_BACK = "called back"  # the engineer talked to the customer through the hotline


@dataclass(frozen=True)
class Note:
    """One line for the ticket's timeline."""

    kind: Kind
    detail: Mapping[str, Any] = field(default_factory=dict)


class Effect(StrEnum):
    """Work a step asks for beyond the ticket itself (messages go through the outbox)."""

    FREEZE_CHAIN = "freeze-chain"  # the escalation chain for this customer, now
    TELL_ACCEPTED = "tell-accepted"  # SMS with the ticket link to the accepting engineer
    TELL_MISSED = "tell-missed"  # the on-call engineer hears the caller hung up
    ANNOUNCE_VOICEMAIL = "announce-voicemail"  # SMS to the chain and the project lead
    FORWARD_MESSAGE = "forward-message"  # a not-an-emergency message to the support mailbox
    QUEUE_URGENT = "queue-urgent"  # the team's e-mail, sent when its working hours begin
    RELEASE = "release"  # the engineers this ticket holds are free again
    TAKE_OVER = "take-over"  # a repeat call becomes the ticket's call (the earlier one is over)
    REANNOUNCE = "reannounce"  # the waiting voicemail is announced again, now
    KEEP_MESSAGE = "keep-message"  # a message kept on the ticket (urgent)
    KEEP_REPEAT_MESSAGE = "keep-repeat-message"  # a message left on a repeat call (repeat.py)
    # The conference bridge (the REST API places and stops the engineers' legs):
    STOP_LEGS = "stop-legs"  # every leg of the ticket still ringing or screening is stopped
    FREE_ENGINEER = "free-engineer"  # the engineer of an attempt that ended unaccepted
    WALK_ON = "walk-on"  # the level rang out while the caller holds: place the next legs
    MOVE_CALLER = "move-caller"  # the caller leaves the conference for where the call is now
    TO_DIAL = "to-dial"  # the conference could not place a leg: this call rings by <Dial>


class Customer(StrEnum):
    """What a step does with the customer a caller typed."""

    CLAIM = "claim"  # typed, the PIN is still to come
    IDENTIFY = "identify"  # proven: by number, block, keypad or PIN
    FORGET = "forget"  # a wrong PIN twice: the claimed customer is dropped


# --- what the caller (or an engineer) hears next -------------------------------------------


@dataclass(frozen=True)
class Ask:
    question: Question
    try_: int  # the first or second time it is asked
    greet: bool = False  # a recognised caller hears their company's name first
    nothing_typed: bool = False  # asked again because the last answer was empty, not wrong


@dataclass(frozen=True)
class Refer:
    """An unidentified caller, and the provider refers such callers to the office."""


@dataclass(frozen=True)
class TakeMessage:
    """Not an emergency: explain the normal way and take a short message; `urgent`: say when
    the team takes it up, and take the message for the priority ticket."""

    urgent: bool = False


@dataclass(frozen=True)
class Walk:
    """Dial the next chain entry that can be claimed (`walk` decides which), or voicemail."""


@dataclass(frozen=True)
class Ring:
    """The screened `<Dial>` of attempt `seq`."""

    seq: int


@dataclass(frozen=True)
class Connect:
    """The conference bridge's legs are being placed: a short word, then ask again (`try_`)
    whether the REST API took them: the caller then holds in the conference, or is rung by
    `<Dial>` if it did not (never a dead line because the REST API is down)."""

    try_: int = 1


@dataclass(frozen=True)
class Hold:
    """The caller waits in (or talks in) the ticket's conference; `joins`: a repeat call from
    the same line joins the conversation going on there (repeat.py); `stranded`: the call went
    on elsewhere but Twilio refused to move the caller out (bridge.wait): call again."""

    joins: bool = False
    stranded: bool = False


@dataclass(frozen=True)
class Join:
    """An engineer's leg enters the ticket's conference (`*` pulls in someone else).

    `why`: "accepted" (the first 1), "pulling" (`name` is being called in), "nobody" (nobody
    to pull in), "back" (back from the `*` menu), "invited" (a pulled-in engineer joins).
    """

    why: str = "accepted"
    name: str = ""


@dataclass(frozen=True)
class Menu:
    """An engineer in the conference pressed `*`: who to pull in (bridge.NEXT / bridge.LEAD)."""


@dataclass(frozen=True)
class Invite:
    """The whisper of an engineer being pulled in: who calls, who asks them in; 1 joins."""

    colleague: str


@dataclass(frozen=True)
class Voicemail:
    reason: str  # "chain exhausted" | "maximum hold time" | "everyone left is busy" | ...


@dataclass(frozen=True)
class Goodbye:
    words: str  # "goodbye" | "thanks" | "no_recording"


@dataclass(frozen=True)
class Hangup:
    """End this leg without a word (the caller is gone, or an engineer did not accept)."""


@dataclass(frozen=True)
class Screen:
    """The engineer's whisper: who calls; 1 accepts, 2 declines, nothing hangs up."""

    seq: int


@dataclass(frozen=True)
class Bridge:
    """The engineer pressed 1 first: the whisper ends and Twilio bridges the legs."""


@dataclass(frozen=True)
class Taken:
    """This attempt can no longer accept: someone else did, or the call is over."""


@dataclass(frozen=True)
class Silent:
    """A status callback: Twilio wants an empty answer."""


@dataclass(frozen=True)
class InHand:
    """A repeat call while the emergency is being handled: say so, offer another message.

    `waiting`: a voicemail of theirs waits for a call-back (and the engineers are told again).
    """

    waiting: bool


Action = (
    Ask | Refer | TakeMessage | Walk | Ring | Voicemail | Goodbye | Hangup | Screen | Bridge
    | Taken | Silent | InHand | Connect | Hold | Join | Menu | Invite
)  # fmt: skip


@dataclass(frozen=True)
class Step:
    """What one event does to a call. Fields left at their default change nothing."""

    action: Action
    state: State | None = None
    question: Question | None = None  # the question now open (with `try_`)
    try_: int = 0
    customer: Customer | None = None
    identified_by: str | None = None
    outcome: tuple[int, Outcome] | None = None  # (attempt seq, its new outcome)
    answered: int | None = None  # the attempt whose whisper was reached just now
    typed: bool = False  # the caller pressed a key (a robocall presses none)
    ended: bool = False  # the caller's call is over
    notes: tuple[Note, ...] = ()
    effects: tuple[Effect, ...] = ()


# --- the call as the core sees it ----------------------------------------------------------


class Leg(StrEnum):
    """A REST-placed leg, as far as the caller's side needs to know."""

    QUEUED = "queued"  # not yet taken by the REST API
    PLACED = "placed"  # Twilio took it (it rings, or rang)
    ERROR = "error"  # the REST API refused it or did not answer


@dataclass(frozen=True)
class Attempt:
    seq: int
    entry: int  # index into the frozen chain
    number: str
    outcome: Outcome = Outcome.RINGING
    answered: bool = False  # the whisper was reached
    ended: bool = False  # its dial result came
    leg: Leg | None = None  # the conference bridge: what the REST API made of its leg


@dataclass(frozen=True)
class Call:
    """A ticket's call, read back from the database into the core's types."""

    state: State
    question: Question | None = None
    try_: int = 0  # which try of `question` is open
    customer: bool = False  # a customer is set (proven, or claimed while the PIN is asked)
    confirmed_at: datetime | None = None
    attempts: tuple[Attempt, ...] = ()
    accepted: int | None = None  # the seq of the attempt that accepted
    ended: bool = False  # Twilio told us the caller's call ended
    recorded: bool = False  # a voicemail or message is stored
    typed: bool = False  # the caller pressed a key at some question
    bridge: bool = False  # the caller meets the engineers in a conference (REST-placed legs)

    def attempt_(self, seq: int) -> Attempt | None:
        return next((a for a in self.attempts if a.seq == seq), None)

    @property
    def ringing(self) -> Attempt | None:
        return next(
            (a for a in reversed(self.attempts) if a.outcome is Outcome.RINGING and not a.ended),
            None,
        )

    @property
    def still_ringing(self) -> tuple[Attempt, ...]:
        """Every attempt still ringing (a conference level rings several at once)."""
        return tuple(a for a in self.attempts if a.outcome is Outcome.RINGING and not a.ended)


def where(call: Call) -> Step:
    """A request that answers nothing the call waits for: say where the call is, change nothing."""
    if call.state in (State.IDENTIFYING, State.CONFIRMING) and call.question is not None:
        return Step(Ask(call.question, call.try_))
    if call.state is State.RINGING and call.bridge:
        return Step(Hold())
    if call.state is State.RINGING:
        ringing = call.ringing
        return Step(Ring(ringing.seq) if ringing else Walk())
    if call.state is State.VOICEMAIL:
        return Step(Voicemail("repeat"))
    return Step(Goodbye("goodbye"))


def _asks(call: Call, question: Question, try_: int) -> bool:
    """True when the call waits for exactly this answer."""
    return (
        not call.ended
        and call.state in (State.IDENTIFYING, State.CONFIRMING)
        and (call.question, call.try_) == (question, try_)
    )


def _ask(
    question: Question, try_: int, state: State, greet: bool = False, nothing_typed: bool = False
) -> Step:
    return Step(
        Ask(question, try_, greet, nothing_typed), state=state, question=question, try_=try_
    )


def _nothing(digits: str) -> bool:
    """Nothing typed: the keypad timed out, or only the hash key (or star) was pressed."""
    return not digits.strip().strip("#*")


# --- arrive and identify --------------------------------------------------------------------


def refuse(**sent: Any) -> Step:
    """A caller on the provider's blocklist: a short word, nobody rung."""
    return Step(Goodbye("blocked"), state=State.BLOCKED,
                notes=(Note(Kind.ARRIVED, sent), Note(Kind.BLOCKED)))  # fmt: skip


def arrive(customer: str | None, method: str | None, reason: str | None, **sent: Any) -> Step:
    """A new call, after the caller ID was looked up: greet and confirm, or ask the number.

    `customer` is the customer number the caller ID identified (None: `reason` says why not);
    `sent` is what Twilio sent about the call, for the timeline.
    """
    arrived = Note(Kind.ARRIVED, sent)
    if customer is not None:
        return Step(
            **_fields(_ask(Question.CONFIRMATION, 1, State.CONFIRMING, greet=True)),
            customer=Customer.IDENTIFY,
            identified_by=method,
            notes=(arrived, Note(Kind.IDENTIFIED, {"customer": customer, "by": method})),
        )
    return Step(
        **_fields(_ask(Question.CUSTOMER_NUMBER, 1, State.IDENTIFYING)),
        notes=(arrived, Note(Kind.NOT_IDENTIFIED, {"reason": reason})),
    )


def _fields(step: Step) -> dict[str, Any]:
    return {"action": step.action, "state": step.state, "question": step.question,
            "try_": step.try_}  # fmt: skip


def _unidentified(
    refer: bool, notes: tuple[Note, ...], forget: bool = False, typed: bool = True
) -> Step:
    """Nobody recognised: by default a real emergency from a personal mobile still goes on."""
    customer = Customer.FORGET if forget else None
    if refer:
        return Step(
            Refer(), state=State.REFERRED, question=None, customer=customer,
            notes=(*notes, Note(Kind.REFERRED)),
        )  # fmt: skip
    return Step(
        **_fields(_ask(Question.CONFIRMATION, 1, State.CONFIRMING)),
        customer=customer, typed=typed,
        notes=(*notes, Note(Kind.UNIDENTIFIED)),
    )  # fmt: skip


def customer_number(
    call: Call, try_: int, digits: str, found: str | None, needs_pin: bool, refer: bool
) -> Step:
    """The caller typed a customer number; `found` is the customer it names (None: unknown)."""
    if not _asks(call, Question.CUSTOMER_NUMBER, try_):
        return where(call)
    entered = (Note(Kind.CUSTOMER_NUMBER, {"digits": digits, "found": found is not None}),)
    pressed = bool(digits)
    if found is not None and needs_pin:
        return Step(**_fields(_ask(Question.PIN, 1, State.IDENTIFYING)),
                    customer=Customer.CLAIM, notes=entered)  # fmt: skip
    if found is not None:
        return Step(
            **_fields(_ask(Question.CONFIRMATION, 1, State.CONFIRMING, greet=True)),
            customer=Customer.IDENTIFY,
            identified_by="keypad",
            notes=(*entered, Note(Kind.IDENTIFIED, {"customer": found, "by": "keypad"})),
        )
    if try_ < TRIES:
        again = _ask(Question.CUSTOMER_NUMBER, try_ + 1, State.IDENTIFYING,
                     nothing_typed=_nothing(digits))  # fmt: skip
        return Step(**_fields(again), notes=entered, typed=pressed)
    return _unidentified(refer, entered, typed=pressed)


def pin(call: Call, try_: int, typed: str, expected: str | None, customer: str | None,
        refer: bool) -> Step:  # fmt: skip
    """The caller typed the PIN of the customer they claimed (`expected`); twice wrong leaves
    them unidentified, never stranded. Compared in constant time."""
    if not _asks(call, Question.PIN, try_) or not call.customer:
        return where(call)
    given = typed.strip().strip("#*").encode()
    correct = bool(expected) and hmac.compare_digest(given, (expected or "").encode())
    entered = (Note(Kind.PIN, {"correct": correct}),)
    if correct:
        return Step(
            **_fields(_ask(Question.CONFIRMATION, 1, State.CONFIRMING, greet=True)),
            customer=Customer.IDENTIFY,
            identified_by="pin",
            notes=(*entered, Note(Kind.IDENTIFIED, {"customer": customer, "by": "pin"})),
        )
    if try_ < TRIES:
        again = _ask(Question.PIN, try_ + 1, State.IDENTIFYING, nothing_typed=_nothing(typed))
        return Step(**_fields(again), notes=entered)
    return _unidentified(refer, entered, forget=True)


# --- confirm ---------------------------------------------------------------------------------


def confirmation(call: Call, try_: int, digits: str, silent_to_voicemail: bool = True) -> Step:
    """1 or silence: an emergency, at once (a stressed caller who just waits is rung through:
    fail toward a human). 2: not. 3: urgent, not an emergency (the team's next working hours,
    nobody is rung). Another key: asked once more, then an emergency.

    A caller nobody recognised who has pressed no key at all (a robocall, a pocket dial) is not
    rung through to the whole cross-team pool: they may leave a voicemail, which is announced
    like any (`silent_to_voicemail`, the policy's `silent: voicemail`, on by default).
    """
    if not _asks(call, Question.CONFIRMATION, try_):
        return where(call)
    answered = Note(Kind.CONFIRMATION, {"digits": digits or "none"})
    typed = bool(digits)
    if digits == "2":
        return Step(TakeMessage(), state=State.NOT_EMERGENCY, question=None, typed=True,
                    notes=(answered, Note(Kind.NOT_EMERGENCY)))  # fmt: skip
    if digits == "3":  # urgent, not an emergency: nobody's phone rings
        return Step(
            TakeMessage(urgent=True), state=State.URGENT, question=None, typed=True,
            notes=(answered, Note(Kind.URGENT)), effects=(Effect.QUEUE_URGENT,),
        )  # fmt: skip
    if not digits and not call.customer and not call.typed and silent_to_voicemail:
        why = {"reason": "pressed nothing"}
        return Step(Voicemail("pressed nothing"), state=State.VOICEMAIL, question=None,
                    notes=(answered, Note(Kind.SILENT), Note(Kind.VOICEMAIL, why)))  # fmt: skip
    if digits not in ("1", "") and try_ < TRIES:
        return Step(**_fields(_ask(Question.CONFIRMATION, try_ + 1, State.CONFIRMING)),
                    notes=(answered,))  # fmt: skip
    return Step(
        Walk(), state=State.RINGING, question=None, notes=(answered,), typed=typed,
        effects=(Effect.FREEZE_CHAIN,),
    )  # fmt: skip


# --- walking the chain -----------------------------------------------------------------------


@dataclass(frozen=True)
class Dial:
    """Try these chain entries in order; the first that can be claimed is dialled."""

    candidates: tuple[int, ...]
    timeout_cap: int  # seconds of hold time left: no entry rings longer than this


def walk(
    call: Call, numbers: Sequence[str], now: datetime, max_hold: timedelta
) -> Dial | Voicemail:
    """The entries still worth trying, or voicemail.

    `numbers` is the frozen chain's numbers in order. The walk goes forward only, skips every
    number already dialled for this call, and stops when the caller has waited `max_hold`.
    """
    left = max_hold - (now - (call.confirmed_at or now))
    if left.total_seconds() < MIN_RING:
        return Voicemail("maximum hold time")
    rang = [a for a in call.attempts if a.outcome is not Outcome.NOT_PLACED]
    start = max((a.entry for a in rang), default=-1) + 1
    seen = {a.number for a in rang}
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


def ring(seq: int, engineer: str | None, level: str, timeout: int) -> Step:
    """Attempt `seq` is dialled (its engineer claimed for this ticket)."""
    detail = {"attempt": seq, "engineer": engineer, "level": level, "timeout": timeout}
    return Step(Ring(seq), state=State.RINGING, notes=(Note(Kind.RINGING, detail),))


def skip(engineer: str, reason: str) -> Note:
    return Note(Kind.SKIPPED, {"engineer": engineer, "reason": reason})


def nobody(reason: str) -> Step:
    """Nobody left to dial: the caller leaves a voicemail."""
    return Step(Voicemail(reason), state=State.VOICEMAIL,
                notes=(Note(Kind.VOICEMAIL, {"reason": reason}),))  # fmt: skip


# --- the engineer's leg ----------------------------------------------------------------------


def whisper(call: Call, seq: int) -> Step:
    """An engineer's phone was answered: screen them, unless this attempt can no longer win."""
    attempt = call.attempt_(seq)
    if attempt is None or attempt.outcome is not Outcome.RINGING or call.accepted or call.ended:
        return Step(Taken())
    if attempt.answered:
        return Step(Screen(seq))
    return Step(Screen(seq), answered=seq, notes=(Note(Kind.ANSWERED, {"attempt": seq}),))


def key(call: Call, seq: int, digits: str, engineer: str | None) -> Step:
    """The engineer's key press. Only `1` accepts; the database makes the accept atomic
    (`accepted` below is the step to apply once this attempt won)."""
    attempt = call.attempt_(seq)
    if digits == "1" and call.accepted == seq:
        return Step(Join() if call.bridge else Bridge())  # Twilio repeated the key press
    if attempt is None or attempt.outcome is not Outcome.RINGING or call.ended or call.accepted:
        return Step(Taken() if digits == "1" else Hangup())
    if digits == "1":
        return accepted(seq, engineer, call.bridge)
    if digits == "2":
        return Step(Hangup(), outcome=(seq, Outcome.DECLINED),
                    notes=(Note(Kind.DECLINED, {"attempt": seq}),))  # fmt: skip
    return Step(Hangup())


def too_late() -> Step:
    """The database says another attempt accepted first (two engineers in the same second)."""
    return Step(Taken())


def accepted(seq: int, engineer: str | None, bridge: bool = False) -> Step:
    """The first 1: in the conference the engineer joins and every other leg stops ringing."""
    return Step(
        Join() if bridge else Bridge(), state=State.CONNECTED, outcome=(seq, Outcome.ACCEPTED),
        notes=(Note(Kind.ACCEPTED, {"attempt": seq, "engineer": engineer}),),
        effects=(Effect.TELL_ACCEPTED, *((Effect.STOP_LEGS,) if bridge else ())),
    )  # fmt: skip


# --- after a dial ends -----------------------------------------------------------------------


def outcome(accepted: bool, declined: bool, status: CallStatus | None) -> Outcome:
    """An attempt's outcome. Only our own accept flag means accepted (twilio-facts §2.1): an
    answered call whose whisper hung up reports `completed` too."""
    if accepted:
        return Outcome.ACCEPTED
    if declined:
        return Outcome.DECLINED
    return _DIAL_OUTCOMES.get(status, Outcome.NOT_ACCEPTED) if status else Outcome.NOT_ACCEPTED


def dial_ended(
    call: Call, seq: int, status: CallStatus | None, talk_seconds: int, caller_gone: bool,
    bridged: bool = False,
) -> Step:  # fmt: skip
    """The `<Dial>` of attempt `seq` ended: goodbye after a bridged call, else walk on.

    Our accept flag decides (a whisper that hung up reports `completed` too), with one
    exception: `DialBridged` true with no accept recorded means an engineer pressed 1 while our
    database could not take it (the engineer leg's fallback bridges on 1). Only a key press can
    bridge (the whisper ends in `<Hangup/>`), so the caller talked to a human: accepted late.
    """
    attempt = call.attempt_(seq)
    if attempt is None or attempt.ended:
        return where(call)
    late = bridged and call.accepted is None and attempt.outcome is not Outcome.DECLINED
    won = call.accepted == seq or late
    result = (
        Outcome.CANCELLED  # the caller hung up first: that stays the truth
        if attempt.outcome is Outcome.CANCELLED and not won
        else outcome(won, attempt.outcome is Outcome.DECLINED, status)
    )
    detail = {"attempt": seq, "outcome": result.value, "dial_status": status or ""}
    ended = Note(Kind.ATTEMPT_ENDED, detail)
    release = (Effect.RELEASE,)
    if won:
        accepted_now = (Note(Kind.ACCEPTED, {"attempt": seq, "late": True}),) if late else ()
        return Step(
            Goodbye("goodbye"), state=State.CONNECTED if late else None,
            outcome=(seq, result), effects=(*release, *((Effect.TELL_ACCEPTED,) if late else ())),
            notes=(*accepted_now, ended, Note(Kind.BRIDGED_ENDED, {"seconds": talk_seconds})),
        )  # fmt: skip
    if call.accepted is not None:  # a late result of a losing attempt: the winner stays claimed
        return Step(Hangup(), outcome=(seq, result), notes=(ended,))
    if caller_gone or call.ended:
        return Step(Hangup(), outcome=(seq, result), notes=(ended,), effects=release)
    return Step(Walk(), outcome=(seq, result), notes=(ended,), effects=release)


# --- the caller's recordings -----------------------------------------------------------------


def voicemail(call: Call, seconds: int | None, url: str | None) -> Step:
    """The caller recorded a voicemail (Twilio may send an empty one, or repeat it). A recording
    of unknown length (`seconds` None: Twilio sent no number) is kept: it may hold the words."""
    if call.state is State.VOICEMAIL and url and (seconds is None or seconds > 0):
        return Step(
            Goodbye("thanks"), state=State.CALLBACK_PENDING,
            notes=(Note(Kind.VOICEMAIL_LEFT, {"seconds": seconds}),),
            effects=(Effect.ANNOUNCE_VOICEMAIL,),
        )  # fmt: skip
    return Step(Goodbye("thanks" if call.state is State.CALLBACK_PENDING else "no_recording"))


def message(call: Call, seconds: int | None, url: str | None) -> Step:
    """A short message after "not an emergency": it goes to the support mailbox; after
    "urgent", it stays on the priority ticket the team's e-mail links to."""
    kept = url and (seconds is None or seconds > 0)
    if call.state is State.NOT_EMERGENCY and kept and not call.recorded:
        return Step(Goodbye("thanks"), notes=(Note(Kind.MESSAGE_LEFT, {"seconds": seconds}),),
                    effects=(Effect.FORWARD_MESSAGE,))  # fmt: skip
    if call.state is State.URGENT and kept and not call.recorded:
        return Step(Goodbye("urgent_thanks"), effects=(Effect.KEEP_MESSAGE,),
                    notes=(Note(Kind.MESSAGE_LEFT, {"seconds": seconds}),))  # fmt: skip
    if call.state is State.URGENT:
        return Step(Goodbye("urgent_thanks"))
    return Step(Goodbye("thanks"))


# --- the caller hangs up ---------------------------------------------------------------------


def hangup(call: Call, status: CallStatus | None, seconds: int) -> Step:
    """The caller's call ended (the status callback is the authority on this).

    A caller who hangs up to end a voicemail makes Twilio send the recording and this callback
    in either order: in `VOICEMAIL` the call ends but stays there, so the recording that may
    still come is kept; the sweeper calls it abandoned if none comes (`lost`).
    """
    if call.ended or status is None or not status.ended:
        return Step(Silent())
    stop = (Effect.STOP_LEGS,) if call.bridge else ()
    if call.state is State.VOICEMAIL:
        return Step(
            Silent(),
            ended=True,
            effects=(Effect.RELEASE, *stop),
            notes=(Note(Kind.CALL_ENDED, {"status": status.value, "seconds": seconds}),),
        )
    state = call.state if call.state.final else State.ABANDONED
    notes = [Note(Kind.CALL_ENDED, {"status": status.value, "seconds": seconds})]
    effects = [Effect.RELEASE, *stop]
    if state is State.ABANDONED:
        notes.append(Note(Kind.ABANDONED, {"during": call.state.value}))
        effects.append(Effect.TELL_MISSED)
    ringing = call.ringing
    return Step(
        Silent(), state=state, question=None, ended=True,
        outcome=(ringing.seq, Outcome.CANCELLED) if ringing else None,
        notes=tuple(notes), effects=tuple(effects),
    )  # fmt: skip


def lost(call: Call, last_heard: datetime) -> Step:
    """The sweeper closes a call Twilio never reported as ended (a lost status callback, an
    outage): claims are freed and the on-call engineer hears a customer may have tried."""
    ringing = call.ringing
    if call.ended and call.state is State.VOICEMAIL:  # hung up at the beep, recorded nothing
        return Step(Silent(), state=State.ABANDONED, question=None, ended=True,
                    notes=(Note(Kind.ABANDONED, {"during": call.state.value}),),
                    effects=(Effect.TELL_MISSED,))  # fmt: skip
    state = State.LOST if call.state in LIVE else call.state
    effects: tuple[Effect, ...] = (Effect.RELEASE,)
    effects += (Effect.TELL_MISSED,) if state is State.LOST else ()
    effects += (Effect.STOP_LEGS,) if call.bridge else ()
    return Step(
        Silent(), state=state, question=None, ended=True,
        outcome=(ringing.seq, Outcome.CANCELLED) if ringing else None,
        notes=(Note(Kind.LOST, {"was": call.state.value, "last_heard": last_heard.isoformat()}),),
        effects=effects,
    )  # fmt: skip


RECORDING_GRACE = timedelta(minutes=2)  # a recording comes this soon after the caller hung up


def stuck(state: State, last_heard: datetime, now: datetime, max_call: timedelta,
          max_wait: timedelta, ended: bool = False) -> bool:  # fmt: skip
    """True when a ticket has waited for Twilio longer than any real call could take.

    A call still before its end (`LIVE`) is stuck after `max_wait` of silence (the hold time,
    a ring and a voicemail); a connected call after Twilio's maximum call length; a call that
    ended in the voicemail step when its recording has not come within `RECORDING_GRACE`.
    """
    if ended:
        return state is State.VOICEMAIL and now - last_heard > RECORDING_GRACE
    if state in LIVE:
        return now - last_heard > max_wait
    return state is State.CONNECTED and now - last_heard > max_call


# --- the fallback path, replayed from the spool ----------------------------------------------


def fell_back(where: str, error: str) -> Step:
    """The call went the fallback path: a handler failed or was late, or Twilio used the
    Fallback URL. What became of it comes in later records (bridged, a voicemail) or, if
    nothing does, the sweeper closes it as lost."""
    return Step(Silent(), notes=(Note(Kind.FALLBACK, {"where": where, "error": error}),))


def fallback_bridged(call: Call, seconds: int) -> Step:
    """The fallback number's owner pressed 1 and talked to the caller."""
    state = call.state if call.state is State.CALLBACK_PENDING else State.CONNECTED
    return Step(
        Silent(), state=state, question=None,
        notes=(Note(Kind.FALLBACK, {"bridged": True, "seconds": seconds}),),
        effects=(Effect.RELEASE,),
    )  # fmt: skip


def fallback_voicemail(call: Call, seconds: int, url: str | None) -> Step:
    """A voicemail taken on the fallback path (the database was down): announced like any."""
    if not url or call.recorded:
        return Step(Silent())
    return Step(
        Silent(), state=State.CALLBACK_PENDING, question=None,
        notes=(Note(Kind.VOICEMAIL_LEFT, {"seconds": seconds, "via": "fallback"}),),
        effects=(Effect.ANNOUNCE_VOICEMAIL, Effect.RELEASE),
    )  # fmt: skip
