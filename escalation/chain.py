"""The escalation chain one emergency call walks, and the policy that shapes it.

Levels in the default order: the own team's primary, its secondary, the on-call engineers of the
other teams (the cross-team pool), the customer's project lead, the fallback number. Nobody
appears twice; inactive and absent engineers and those without a usable mobile are skipped with
a reason; an empty level adds nothing. A level may ring all of an engineer's phones (the mobile,
then a landline ...): one entry per phone, the same engineer, one after the other.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import phonenumbers

from escalation.rota import LAYERS, OnCall, parse_shift

LEVELS = ("own-primary", "own-secondary", "pool", "project-lead", "fallback")
ORDERS = ("fewest-displaced", "round-robin", "fixed", "random")
RINGS = ("sequential", "simultaneous")  # how a level's people are rung: one by one, or all at once
BRIDGES = ("dial", "conference")  # how the caller meets the engineer: a <Dial>, or a conference
PHONES = ("first", "all")  # of a level: ring an engineer's mobile only, or all their phones
DEPRECATED_KEYS = ("window",)  # of a policy: accepted for files and rows written before, ignored


@dataclass(frozen=True)
class Entry:
    level: str  # "own-primary" | "own-secondary" | "pool" | "project-lead" | "fallback"
    number: str  # E.164 to dial
    engineer: str | None  # engineer key; None for the fallback number
    name: str  # engineer name, or "Fallback"
    timeout: int  # ring timeout in seconds for this entry's level
    reason: str  # why this entry is in the chain, human readable
    ring: str = "sequential"  # the level's ring: "simultaneous" rings it all at once (bridge)


@dataclass(frozen=True)
class Skip:
    level: str
    engineer: str
    reason: str  # "absent (vacation)", "no usable mobile", "already in chain", "inactive"


@dataclass(frozen=True)
class Chain:
    entries: tuple[Entry, ...]
    skipped: tuple[Skip, ...] = ()
    bridge: str = "dial"  # the policy's bridge: "conference" when the REST API can dial

    VERSION = 1  # of the frozen form below; `from_json` reads every version ever written

    def to_json(self) -> dict[str, Any]:
        """The chain as plain data, to freeze onto the ticket."""
        return {
            "version": self.VERSION,
            "entries": [asdict(entry) for entry in self.entries],
            "skipped": [asdict(skip) for skip in self.skipped],
            "bridge": self.bridge,
        }

    @classmethod
    def from_json(cls, data: Any) -> Chain:
        """A frozen chain read back; None (not yet frozen) is the empty chain.

        Version 0 was the bare list of entries (with the skipped ones in a column of their own,
        dropped by migration 0002, which moved them here).
        """
        if data is None:
            return cls(())
        if isinstance(data, list):
            data = {"version": 0, "entries": data, "skipped": []}
        if data.get("version", 0) > cls.VERSION:
            raise ValueError(f"frozen chain version {data['version']} is newer than this code")
        return cls(
            tuple(Entry(**entry) for entry in data.get("entries", [])),
            tuple(Skip(**skip) for skip in data.get("skipped", [])),
            data.get("bridge", "dial"),
        )


# --- the policy -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    name: str
    order: str = "fewest-displaced"
    timeout: int | None = None  # None: the app's HOTLINE_RING_TIMEOUT
    ring: str = "sequential"  # "simultaneous": the whole level at once (conference bridge only)
    phones: str = "first"  # "first": the mobile; "all": the mobile, then every further phone


@dataclass(frozen=True)
class Policy:
    """The levels a chain walks. `fewest-displaced` counts the appointments overlapping the
    expected emergency duration, the one of the displacement check (`Situation.displaced`)."""

    levels: tuple[Level, ...] = tuple(Level(name) for name in LEVELS)
    # An unidentified caller who pressed no key at all (a robocall, a pocket dial) is offered
    # the voicemail instead of ringing the cross-team pool: `silent: voicemail` (the default),
    # or `silent: pool` to ring them through like anyone.
    silent_to_voicemail: bool = True
    # `bridge: conference`: the caller waits in a conference with hold announcements while the
    # engineers are called through the REST API (a level can ring all at once); `dial` (the
    # default) rings one `<Dial>` after the other. Without a Twilio account it is always `dial`.
    bridge: str = "dial"


def _seconds(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 5 <= value <= 600:
        raise ValueError(f"policy {where}: timeout {value!r} must be whole seconds, 5 to 600")
    return value


def _order(value: Any, where: str) -> str:
    if value not in ORDERS:
        raise ValueError(f"policy {where}: order {value!r} must be one of {', '.join(ORDERS)}")
    return str(value)


def parse_policy(obj: Any) -> Policy:
    """Validate a policy (`Team.policy` / `Provider.policy`); None means the default policy.

    Shape (every key optional):
    `{"levels": ["own-primary", {"level": "pool", "order": "round-robin", "timeout": 15}, ...],
      "order": "fewest-displaced", "timeout": 20, "phones": "first", "silent": "voicemail"}`.
    `order`, `timeout` and `phones` at the top are the defaults of every level (`phones: all`
    rings each engineer's mobile and then their further phones); `levels` lists the levels
    walked, in order, each at most once, and must end with "fallback" (never a dead line).
    `window` (`"2h"`) is deprecated and ignored: policies stored before still read, and a bad
    one is still refused. The expected emergency duration is one setting, the provider's
    `emergency_minutes` (a contract's for its customer).
    """
    if obj is None:
        return Policy()
    if not isinstance(obj, Mapping):
        raise ValueError(f"policy {obj!r}: expected a mapping")
    unknown = set(obj) - {"levels", "order", "timeout", "silent", "ring", "bridge", "phones",
                          *DEPRECATED_KEYS}  # fmt: skip
    if unknown:
        raise ValueError(
            f"policy: unknown keys {sorted(unknown)} "
            "(levels, order, timeout, ring, bridge, phones, silent)"
        )
    bridge = _choice(obj.get("bridge", "dial"), BRIDGES, "bridge")
    ring = _choice(obj.get("ring", "sequential"), RINGS, "ring")
    phones = _choice(obj.get("phones", "first"), PHONES, "phones")
    if obj.get("silent", "voicemail") not in ("voicemail", "pool"):
        raise ValueError(f"policy silent {obj.get('silent')!r}: expected 'voicemail' or 'pool'")
    order = _order(obj.get("order", "fewest-displaced"), "order")
    timeout = _seconds(obj.get("timeout"), "timeout")
    if "window" in obj:
        parse_shift(obj["window"])  # deprecated: still checked as before, never used
    levels: list[Level] = []
    for item in obj.get("levels", LEVELS):
        spec = {"level": item} if isinstance(item, str) else item
        if not isinstance(spec, Mapping) or set(spec) - {"level", "order", "timeout", "ring",
                                                         "phones"}:  # fmt: skip
            raise ValueError(
                f"policy level {item!r}: expected a name or level/order/timeout/ring/phones"
            )
        name = spec.get("level")
        if name not in LEVELS:
            raise ValueError(f"policy level {name!r}: expected one of {', '.join(LEVELS)}")
        if any(level.name == name for level in levels):
            raise ValueError(f"policy level {name!r} is listed twice")
        where = f"level {name}"
        own_timeout = _seconds(spec.get("timeout"), where)
        levels.append(
            Level(
                name,
                _order(spec.get("order", order), where),
                own_timeout if own_timeout is not None else timeout,
                _choice(spec.get("ring", ring), RINGS, f"{where} ring"),
                _choice(spec.get("phones", phones), PHONES, f"{where} phones"),
            )
        )
    if not levels or levels[-1].name != "fallback":
        raise ValueError("policy levels must end with 'fallback': a call never ends unanswered")
    return Policy(tuple(levels), obj.get("silent", "voicemail") == "voicemail", bridge)


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise ValueError(f"policy {where} {value!r}: expected one of {', '.join(allowed)}")
    return str(value)


def effective_policy(provider: Mapping[str, Any] | None, team: Mapping[str, Any] | None) -> Policy:
    """The team's policy over the provider default, key by key."""
    return parse_policy({**(provider or {}), **(team or {})} or None)


# --- the chain ------------------------------------------------------------------------------

E164 = re.compile(r"\+[1-9]\d{6,14}")


def usable_number(number: str | None) -> bool:
    """An E.164 number of a possible length for its country: something Twilio can dial."""
    if not number or not E164.fullmatch(number):
        return False
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return False


@dataclass(frozen=True)
class Phone:
    """One of an engineer's phones beyond the mobile (a landline, a second mobile), rung after
    the mobile by a level with `phones: all`. SMS never go here: they go to the mobile."""

    number: str  # E.164
    label: str | None = None  # e.g. "Festnetz"

    LABEL = 40  # characters

    @classmethod
    def parse(cls, obj: Any) -> Phone:
        """A phone as the directory stores it, `{"number": E.164, "label": text}`, checked."""
        if not isinstance(obj, Mapping) or "number" not in obj or set(obj) - {"number", "label"}:
            raise ValueError(f"phone {obj!r}: expected number and an optional label")
        number, label = obj["number"], obj.get("label")
        if not isinstance(number, str) or not usable_number(number):
            raise ValueError(f"phone {number!r}: expected a number Twilio can dial (E.164)")
        if label is not None and (
            not isinstance(label, str) or not label.strip() or len(label) > cls.LABEL
            or not label.isprintable()
        ):  # fmt: skip
            raise ValueError(f"phone label {label!r}: expected a text of up to {cls.LABEL}")
        return cls(number, label.strip() if label else None)


def parse_phones(obj: Any, mobile: str | None = None) -> tuple[Phone, ...]:
    """An engineer's further phones, in the order they are rung: each number once and none
    the mobile (a number rung twice for one call is skipped anyway, so it is a typo)."""
    if obj is None:
        return ()
    if not isinstance(obj, list | tuple):
        raise ValueError(f"phones {obj!r}: expected a list of {{number, label}}")
    phones = tuple(Phone.parse(item) for item in obj)
    numbers = [p.number for p in phones]
    for i, number in enumerate(numbers):
        if number == mobile:
            raise ValueError(f"phones[{i}] {number} is the mobile already")
        if number in numbers[:i]:
            raise ValueError(f"phones[{i}] {number} is listed twice")
    return phones


@dataclass(frozen=True)
class Person:
    """What the chain needs to know of an engineer."""

    key: str
    name: str
    mobile: str | None
    active: bool = True
    last_called_at: datetime | None = None
    phones: tuple[Phone, ...] = ()  # after the mobile, in order (not checked again here)

    def ringing(self, phones: str) -> list[tuple[str | None, str]]:
        """(number, what it is) in the order a level with `phones` rings them: the mobile
        ("") first, then with `all` each further phone ("phone 2 (Festnetz)")."""
        found: list[tuple[str | None, str]] = [(self.mobile, "")]
        if phones == "all":
            found += [
                (p.number, f"phone {i}" + (f" ({p.label})" if p.label else ""))
                for i, p in enumerate(self.phones, start=2)
            ]
        return found


@dataclass(frozen=True)
class Situation:
    """Everything that decides one chain, gathered by the caller at instant `at`."""

    at: datetime
    team: str | None  # the customer's team; None: unidentified caller
    on_call: Sequence[OnCall]
    people: Mapping[str, Person]
    project_lead: str | None = None
    fallback: str | None = None
    fallback_reason: str = "the provider's fallback number"
    policy: Policy = field(default_factory=Policy)
    ring_timeout: int = 20
    absent: Mapping[str, str] = field(default_factory=dict)  # engineer -> reason
    displaced: Mapping[str, int] = field(default_factory=dict)  # engineer -> appointments


@dataclass(frozen=True)
class Candidate:
    engineer: str
    reason: str


def candidates(level: str, s: Situation) -> list[Candidate]:
    """The people of one level in fixed order (teams by key, primary before secondary)."""
    if level == "project-lead":
        if s.team is None or s.project_lead is None:
            return []
        return [Candidate(s.project_lead, "project lead of the customer's team")]
    if level in ("own-primary", "own-secondary"):
        if s.team is None:
            return []
        layer = level.removeprefix("own-")
        return [
            Candidate(o.engineer, o.reason)
            for o in s.on_call
            if (o.team, o.layer) == (s.team, layer)
        ]
    if level == "pool":
        others = sorted(
            (o for o in s.on_call if o.team != s.team),
            key=lambda o: (o.team, LAYERS.index(o.layer)),
        )
        return [
            Candidate(o.engineer, f"cross-team pool: team {o.team}, {o.reason}") for o in others
        ]
    return []


def ordered(level: Level, found: list[Candidate], s: Situation) -> list[Candidate]:
    """Apply the level's order; ties keep the fixed order."""
    rank: Callable[[Candidate], Any]
    if level.order == "fewest-displaced":
        rank = lambda c: s.displaced.get(c.engineer, 0)  # noqa: E731
    elif level.order == "round-robin":
        never = datetime.min.replace(tzinfo=s.at.tzinfo)
        rank = lambda c: s.people[c.engineer].last_called_at or never  # noqa: E731
    elif level.order == "random":
        shuffled = list(found)
        random.Random(f"{s.at.isoformat()}|{level.name}").shuffle(shuffled)
        return shuffled
    else:
        return found
    return sorted(found, key=rank)


def _fresh(phones: list[tuple[str | None, str]], dialled: set[str]) -> list[tuple[str, str]]:
    """The usable phones not dialled yet for this call, each number once, in order."""
    found: list[tuple[str, str]] = []
    for number, what in phones:
        if number and usable_number(number) and number not in dialled | {n for n, _ in found}:
            found.append((number, what))
    return found


def build(s: Situation) -> Chain:
    """The chain for one call: levels in policy order, each person once, skips explained."""
    entries: list[Entry] = []
    skipped: list[Skip] = []
    seen: set[str] = set()
    dialled: set[str] = set()
    for level in s.policy.levels:
        timeout = level.timeout if level.timeout is not None else s.ring_timeout
        if level.name == "fallback":
            if s.fallback:
                entries.append(
                    Entry(
                        "fallback",
                        s.fallback,
                        None,
                        "Fallback",
                        timeout,
                        s.fallback_reason,
                        level.ring,
                    )  # fmt: skip
                )
            continue
        for candidate in ordered(level, candidates(level.name, s), s):
            key = candidate.engineer
            person = s.people.get(key)
            phones = person.ringing(level.phones) if person else []
            fresh = _fresh(phones, dialled)
            problem = (
                "unknown engineer" if person is None
                else "already in chain" if key in seen
                else "inactive" if not person.active
                else f"absent ({s.absent[key]})" if key in s.absent
                else "no usable mobile" if not any(usable_number(n) for n, _ in phones)
                else "number already in chain" if not fresh
                else None
            )  # fmt: skip
            if problem:
                skipped.append(Skip(level.name, key, problem))
                continue
            assert person is not None
            seen.add(key)
            reason = candidate.reason
            if level.order == "fewest-displaced" and level.name != "project-lead":
                count = s.displaced.get(key, 0)
                reason += f"; {count} planned appointment{'' if count == 1 else 's'} in the window"
            for number, phone in fresh:
                dialled.add(number)
                said = f"{reason}; {phone}" if phone else reason
                entries.append(
                    Entry(level.name, number, key, person.name, timeout, said, level.ring)
                )
    return Chain(tuple(entries), tuple(skipped), s.policy.bridge)
