"""The conference bridge: the same call, rung through legs the REST API places.

In `conference` mode the caller waits in the ticket's conference with hold announcements while
the engineers are called through Twilio's REST API, each leg screened by the same whisper as a
`<Dial>`. A `simultaneous` level rings all its people at once: the first 1 joins the caller and
every other leg is stopped, and a voicemail box that answers one leg stops nothing (it never
presses 1; its leg simply ends). These are the conference's rules as pure functions over the
core's `Call`; `escalation.callflow` keeps the rest of the call (arrive, confirm, accept,
voicemail, hang-up), so a conference is a second renderer and dialer, not a second call flow.

Never a dead line: the caller enters the conference only once the REST API took a leg; if it
refuses or is slow (`TRIES` short waits), the call falls back to `<Dial>` for good.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from escalation.callflow import (
    Call,
    CallStatus,
    Connect,
    Effect,
    Hangup,
    Hold,
    Invite,
    Join,
    Kind,
    Leg,
    Menu,
    Note,
    Outcome,
    Silent,
    State,
    Step,
    Walk,
    outcome,
    where,
)

TRIES = 3  # one-second waits for the REST API before the call rings by <Dial> instead


@dataclass(frozen=True)
class Entry:
    """What the bridge needs of a chain entry."""

    level: str
    ring: str  # "sequential" | "simultaneous"
    engineer: str | None


def groups(entries: Sequence[Entry], candidates: Sequence[int], conference: bool) -> list[
    tuple[int, ...]
]:  # fmt: skip
    """The candidates in the order they are tried, as groups rung together.

    With `<Dial>` every entry rings alone. In a conference the candidates of one level whose
    ring is `simultaneous` form one group (the walk tries the next group only when nobody of the
    group can be claimed); the fallback number always rings alone.
    """
    found: list[tuple[int, ...]] = []
    for index in candidates:
        entry = entries[index]
        together = conference and entry.ring == "simultaneous" and entry.engineer is not None
        if together and found and _joins(entries, found[-1], entry):
            found[-1] = (*found[-1], index)
        else:
            found.append((index,))
    return found


def _joins(entries: Sequence[Entry], group: tuple[int, ...], entry: Entry) -> bool:
    last = entries[group[-1]]
    return last.level == entry.level and last.ring == "simultaneous" and last.engineer is not None


def placed() -> Step:
    """Legs are queued for the REST API (their attempts noted as ringing): the caller hears a
    short word while they are placed, then `check` puts them into the conference."""
    return Step(Connect(), state=State.RINGING)


def check(call: Call, try_: int) -> Step:
    """The caller asks whether the legs were placed (after `Connect`).

    Placed (or someone accepted already): hold in the conference. Refused by the REST API: ring
    by `<Dial>` from here on. Still queued: wait a second, `TRIES` times, then the same.
    """
    if not call.bridge or call.ended or call.state is not State.RINGING:
        return where(call)
    ringing = call.still_ringing
    if call.accepted is not None or any(a.leg is Leg.PLACED for a in ringing):
        return Step(Hold())
    if ringing and any(a.leg is Leg.QUEUED for a in ringing) and try_ < TRIES:
        return Step(Connect(try_ + 1))
    if not ringing:  # the level rang out before the caller was back: walk on by <Dial>
        return Step(Walk(), effects=(Effect.TO_DIAL,))
    return Step(
        Walk(),
        notes=(Note(Kind.BRIDGE_FALLBACK, {"attempts": [a.seq for a in ringing]}),),
        effects=(Effect.TO_DIAL, Effect.STOP_LEGS, Effect.RELEASE),  # ringing ones: not placed
    )


def wait(call: Call, move_refused: bool) -> Step:
    """The conference's wait document asks again (each loop of the hold music).

    The caller holds while the bridge rings. When the call has gone on elsewhere (the legs fell
    back to `<Dial>`, the voicemail, the end) the caller was moved out through the REST API; a
    wait document asking still means that move has not happened, and if the REST API refused it
    (`move_refused`) the caller would hold forever: ask Twilio again each loop, and ask the
    caller to call again (a new call from the number takes the ticket over and rings).
    """
    if isinstance(where(call).action, Hold) or not move_refused:
        return Step(Hold())
    return Step(Hold(stranded=True), effects=(Effect.MOVE_CALLER,))  # each try: a leg


def leg_ended(
    call: Call, seq: int, status: CallStatus | None, declined: bool, others_in: bool
) -> Step:
    """The REST-placed leg of attempt `seq` ended (its status callback).

    The accepting engineer's leg ending ends the call for the caller (unless someone pulled in
    with `*` is still talking; the caller stays then). Any other leg frees its engineer; when it
    was the level's last, the caller (still holding) is rung the next level, or moved on.
    """
    attempt = call.attempt_(seq)
    if attempt is None or attempt.ended:
        return Step(Silent())
    won = call.accepted == seq
    result = (
        Outcome.CANCELLED
        if attempt.outcome is Outcome.CANCELLED and not won
        else outcome(won, declined, status)
    )
    ended = Note(Kind.ATTEMPT_ENDED, {"attempt": seq, "outcome": result.value,
                                      "dial_status": status or ""})  # fmt: skip
    if won:  # the caller stays while someone pulled in still talks to them (`others_in`)
        effects = (
            (Effect.FREE_ENGINEER,) if others_in
            else (Effect.RELEASE,) if call.ended
            else (Effect.RELEASE, Effect.MOVE_CALLER)
        )  # fmt: skip
        return Step(Silent(), outcome=(seq, result), notes=(ended,), effects=effects)
    step = Step(Silent(), outcome=(seq, result), notes=(ended,), effects=(Effect.FREE_ENGINEER,))
    others = [a for a in call.still_ringing if a.seq != seq]
    if call.accepted is not None or others or call.ended or call.state is not State.RINGING:
        return step
    return Step(Silent(), outcome=(seq, result), notes=(ended,),
                effects=(Effect.FREE_ENGINEER, Effect.WALK_ON))  # fmt: skip


def not_placed(call: Call, seq: int) -> Step:
    """The REST API did not place attempt `seq`'s leg (refused, unanswered, or stopped before it
    went out). Its engineer is free again; if nothing else of the call rings, the call rings by
    `<Dial>` from here on, starting with the people never rung, and the caller (if holding in
    the conference already) is moved there."""
    attempt = call.attempt_(seq)
    if attempt is None or attempt.outcome is not Outcome.RINGING:
        return Step(Silent())
    others = [a for a in call.still_ringing if a.seq != seq]
    step: tuple[Effect, ...] = (Effect.FREE_ENGINEER,)
    if not (others or call.accepted is not None or call.ended or call.state is not State.RINGING):
        step += (Effect.TO_DIAL, Effect.MOVE_CALLER)
    return Step(Silent(), outcome=(seq, Outcome.NOT_PLACED), effects=step,
                notes=(Note(Kind.BRIDGE_FALLBACK, {"attempts": [seq]}),))  # fmt: skip


# --- warm escalation ------------------------------------------------------------------------

NEXT, LEAD = "1", "2"  # after `*`: the next person of the chain, or the project lead


def pull(
    entries: Sequence[Entry], accepted_entry: int, present: Sequence[int], choice: str
) -> int | None:
    """The chain entry an engineer in the bridge pulls in with `*`: the next engineer after the
    one who accepted (`NEXT`), or the project lead (`LEAD`); never the fallback number, nobody
    already in (or being called into) the bridge. None: there is nobody to pull in."""
    left = [
        i for i, e in enumerate(entries)
        if e.engineer is not None and i != accepted_entry and i not in present
    ]  # fmt: skip
    if choice == LEAD:
        return next((i for i in left if entries[i].level == "project-lead"), None)
    if choice == NEXT:
        after = [i for i in left if i > accepted_entry]
        return next(iter(after or left), None)
    return None


def _talking(call: Call) -> bool:
    return call.bridge and call.state is State.CONNECTED and not call.ended


def star(call: Call) -> Step:
    """An engineer's conference `<Dial>` ended: they pressed `*` (the menu), or the conference
    is over (the caller hung up: their leg ends too)."""
    return Step(Menu()) if _talking(call) else Step(Hangup())


def pulled(call: Call, choice: str, engineer: str | None, name: str, by: str | None) -> Step:
    """The menu's answer: `engineer` (None: nobody to pull in, or no choice) is being called."""
    if not _talking(call):
        return Step(Hangup())
    if engineer is None:
        return Step(Join("nobody" if choice in (NEXT, LEAD) else "back"))
    return Step(Join("pulling", name), notes=(Note(Kind.PULLED_IN, {"engineer": engineer,
                                                                    "by": by}),))  # fmt: skip


def invite(call: Call, colleague: str) -> Step:
    """A pulled-in engineer answered: screen them like any leg (a voicemail box joins nothing)."""
    return Step(Invite(colleague)) if _talking(call) else Step(Hangup())


def invited(call: Call, digits: str) -> Step:
    """Only 1 joins (the conference's own event logs it); anything else hangs up."""
    return Step(Join("invited")) if digits == "1" and _talking(call) else Step(Hangup())


def warm_ended(call: Call, others_in: bool) -> Step:
    """A pulled-in engineer's leg ended: the last one in the conference leaves the caller
    alone, so the caller hears goodbye (as after a `<Dial>`)."""
    if others_in or not _talking(call):
        return Step(Silent())
    return Step(Silent(), effects=(Effect.RELEASE, Effect.MOVE_CALLER))


def left(who: str | None, seconds: int | None) -> Note:
    """Somebody's leg left the conference (`seconds` in it)."""
    return Note(Kind.LEFT, {"engineer": who, "seconds": seconds})
