"""Paging a voicemail again by voice until someone takes the call-back.

A voicemail nobody has taken `Rules.after` after it was left makes the hotline call the chain
again, level by level: one phone at a time, or a whole level at once where the policy rings it
`simultaneous`. The engineer hears who left it and how long ago and presses 1 to hear it, 2 to
take the call-back, 3 to pass it on. After `Rules.rounds` rounds through the chain (each
`Rules.after` after the last one ended) it goes to the customer's project lead, all of their
phones, once; then the voice re-page ends (the SMS reminders go on). It stops the moment
someone takes the call-back, by this call, by SMS or on the ticket page.

Pure rules over plain data: who is rung next, when, and when it stops. `hotline/repage.py`
loads the data, applies the decision and places the calls (hotline/dialer.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from escalation.chain import Entry, Person, usable_number

LEAD = "project-lead"  # the level of the last round's targets
# A leg that never reported its end (a lost status callback) counts as over after this long:
# the re-page never hangs on one lost webhook.
STALE = timedelta(minutes=10)
# A voicemail older than this when its re-page would begin is left to the SMS reminders: the
# first deploy (or a worker back after an outage) never wakes people for yesterday's messages.
OLD = timedelta(hours=12)


@dataclass(frozen=True)
class Target:
    """One phone the re-page may ring: a chain entry, or one of the project lead's phones."""

    entry: int  # its index in the ticket's chain; the lead's phones count -1, -2, ...
    level: str
    engineer: str
    number: str
    together: bool  # rung with the rest of its level at once (the level's ring: simultaneous)
    timeout: int  # seconds it rings


@dataclass(frozen=True)
class Paged:
    """A re-page call already placed for the ticket."""

    round: int
    entry: int
    number: str
    placed_at: datetime
    ended_at: datetime | None  # None: still ringing or talking (or its end was never reported)

    def live(self, now: datetime) -> bool:
        return self.ended_at is None and now - self.placed_at < STALE

    def over(self) -> datetime:
        """When it ended, or was given up as lost."""
        return self.ended_at or self.placed_at + STALE


@dataclass(frozen=True)
class Rules:
    after: timedelta  # not taken this long after it was left (or after a round): page again
    rounds: int  # rounds through the chain before the project lead is called


@dataclass(frozen=True)
class Waiting:
    """A voicemail as the re-page sees it."""

    left_at: datetime
    taken: bool  # someone took the call-back
    closed: bool  # the ticket was resolved or is no longer waiting for a call-back
    chain: tuple[Target, ...]
    lead: tuple[Target, ...]
    paged: tuple[Paged, ...]
    busy: frozenset[str] = frozenset()  # engineers held by another emergency right now


@dataclass(frozen=True)
class Page:
    """Ring these phones now (all at once: one phone, or a simultaneous level)."""

    round: int
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Wait:
    """Nothing to ring now: a call is still on (`until` None: its end decides), or the next
    round is due at `until` (an engineer busy elsewhere is tried again at the next check)."""

    until: datetime | None


class Why(StrEnum):
    TAKEN = "taken"  # someone took the call-back
    CLOSED = "closed"  # resolved, or no call-back waiting any more
    EXHAUSTED = "rounds exhausted"  # every round and the project lead rang: the SMS go on
    NOBODY = "nobody to page"  # the chain holds no engineer and there is no project lead
    OLD = "too old"  # left more than `OLD` ago and never re-paged: the SMS reminders go on


@dataclass(frozen=True)
class Stop:
    why: Why


Decision = Page | Wait | Stop


def decide(w: Waiting, now: datetime, rules: Rules) -> Decision:
    """What the re-page does now. Never a phone of a call still on, never a number twice at
    once, each phone once per round, in the chain's order."""
    if w.taken:
        return Stop(Why.TAKEN)
    if w.closed:
        return Stop(Why.CLOSED)
    if not w.chain and not w.lead:
        return Stop(Why.NOBODY)
    if not w.paged and now - w.left_at > OLD:
        return Stop(Why.OLD)
    if any(p.live(now) for p in w.paged):
        return Wait(None)
    current = max((p.round for p in w.paged), default=0)
    if current:
        done = {p.entry for p in w.paged if p.round == current}
        group = _group(_targets(w, current, rules), done, w.busy)
        if group:
            return Page(current, group)
        due = max(p.over() for p in w.paged if p.round == current) + rules.after
    else:
        due = w.left_at + rules.after
    if now < due:
        return Wait(due)
    following = current + 1
    targets = _targets(w, following, rules)
    while not targets and following <= rules.rounds:  # an empty chain: on to the project lead
        following += 1
        targets = _targets(w, following, rules)
    if not targets:
        return Stop(Why.EXHAUSTED)
    group = _group(targets, set(), w.busy)
    return Page(following, group) if group else Wait(now + rules.after)


def _targets(w: Waiting, round_: int, rules: Rules) -> tuple[Target, ...]:
    """Rounds 1 to `rules.rounds` ring the chain; the one after, the project lead; then none."""
    if round_ <= rules.rounds:
        return w.chain
    return w.lead if round_ == rules.rounds + 1 else ()


def _group(targets: Sequence[Target], done: set[int], busy: frozenset[str]) -> tuple[Target, ...]:
    """The next phones of a round: the first not yet rung (nor busy), with the rest of its level
    when the level rings at once; each number once."""
    left = [t for t in targets if t.entry not in done and t.engineer not in busy]
    if not left:
        return ()
    first = left[0]
    group = (
        [t for t in left if t.level == first.level and t.together] if first.together else [first]
    )
    unique: dict[str, Target] = {}
    for target in group:
        unique.setdefault(target.number, target)
    return tuple(unique.values())


def targets(entries: Sequence[Entry]) -> tuple[Target, ...]:
    """The chain's engineers' phones (the fallback number is nobody who can take a call-back)."""
    return tuple(
        Target(i, e.level, e.engineer, e.number, e.ring == "simultaneous", e.timeout)
        for i, e in enumerate(entries)
        if e.engineer is not None
    )


def lead(person: Person | None, timeout: int) -> tuple[Target, ...]:
    """The project lead's phones, the mobile first, one after the other."""
    if person is None or not person.active:
        return ()
    numbers = [n for n, _ in person.ringing("all") if n and usable_number(n)]
    return tuple(
        Target(-1 - i, LEAD, person.key, n, False, timeout)
        for i, n in enumerate(dict.fromkeys(numbers))
    )


# --- the call: what the engineer pressed ----------------------------------------------------


class Heard(StrEnum):
    """What the re-paged engineer hears next."""

    MENU = "menu"  # who left it and how long ago; 1, 2 or 3
    PLAY = "play"  # the recording, then the menu again
    TAKE = "take"  # they take the call-back: on to the call-back menu
    PASS = "pass"  # passed on: a short word, hang up; the next phone rings
    TAKEN = "taken"  # someone else has it (or it was closed): a short word, hang up


HEAR, TAKE, PASS = "1", "2", "3"


def waiting(open_: bool, taken_by: str | None, me: str | None) -> bool:
    """The voicemail still needs this engineer: still open, and nobody else took it."""
    return open_ and taken_by in (None, me)


def answered(still: bool) -> Heard:
    """The engineer picked up: the menu, unless nobody needs them any more."""
    return Heard.MENU if still else Heard.TAKEN


def pressed(digits: str, still: bool, recorded: bool) -> Heard:
    """A key in the menu. Silence (a voicemail box) never gets here: the menu hangs up."""
    if not still:
        return Heard.TAKEN
    if digits == HEAR:
        return Heard.PLAY if recorded else Heard.MENU
    if digits == TAKE:
        return Heard.TAKE
    if digits == PASS:
        return Heard.PASS
    return Heard.MENU


def took(won: bool) -> Heard:
    """After 2: on into the call-back, unless someone else was quicker."""
    return Heard.TAKE if won else Heard.TAKEN
