"""The directory file: a provider's whole setup as one YAML document (directory-format.md).

Import checks the whole file before it touches the database and reports every error with the
entry and field it concerns; only a clean file is applied, in one transaction, as an upsert by
keys and customer numbers, so a second import of the same file changes nothing. Export writes
the same shape back (times as wall-clock times in the provider's zone), so that export -> import
is a no-op. Every key is documented in docs/directory.md.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import yaml
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from escalation import rota
from escalation.chain import parse_policy
from escalation.rota import LAYERS, instant, parse_handoff, parse_restriction, parse_shift, wall
from hotline import clock, fallback
from hotline.models import (
    Absence,
    Appointment,
    Contract,
    Customer,
    Engineer,
    Override,
    Phone,
    Provider,
    Rotation,
    RotationMember,
    Team,
)
from hotline.phones import international, normalize, prefix

SECTIONS = (
    "provider",
    "teams",
    "engineers",
    "customers",
    "rotations",
    "overrides",
    "absences",
    "appointments",
)
# fmt: off
FIELDS = {
    "provider": {
        "name", "central_number", "fallback_number", "office_number", "support_email",
        "timezone", "holiday_region", "policy", "settings",
    },
    "teams": {"key", "name", "project_lead", "policy"},
    "engineers": {"key", "name", "team", "role", "mobile", "email", "active"},
    "customers": {
        "number", "name", "team", "contact", "language", "pin", "email", "sms_number", "phones",
        "contract",
    },
    "phones": {"number", "block", "label"},
    "contract": {
        "monthly_hours", "hourly_rate", "billing_increment_minutes", "minimum_minutes",
        "surcharge_percent", "surcharge_flat", "emergency_minutes",
    },
    "rotations": {"key", "team", "layer", "members", "shift", "handoff", "start", "restriction"},
    "overrides": {"engineer", "replaces", "team", "layer", "from", "until"},
    "absences": {"engineer", "from", "until", "reason"},
    "appointments": {"key", "engineer", "customer", "start", "end", "title", "onsite"},
}
# fmt: on
IDENTITY = {"teams": "key", "engineers": "key", "customers": "number", "appointments": "key"}
ROLES = ("project_lead", "consultant")
LANGUAGES = ("de", "en")
MONEY = ("hourly_rate", "surcharge_flat")
BAD: Any = object()  # a value that failed its check; its error is already recorded


class DirectoryError(ValueError):
    """A directory file that cannot be imported; `errors` lists every problem found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} error(s) in the directory:\n" + "\n".join(errors))
        self.errors = errors


@dataclass
class Summary:
    """What an import did, per section: created, updated, ended, removed, deactivated, kept."""

    counts: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    notes: list[str] = field(default_factory=list)

    def count(self, section: str, verb: str, n: int = 1) -> None:
        self.counts[section][verb] += n

    @property
    def changed(self) -> bool:
        return any(n for c in self.counts.values() for verb, n in c.items() if verb != "kept")

    def lines(self) -> list[str]:
        out = [
            f"{section}: "
            + ", ".join(f"{n} {verb}" for verb, n in sorted(self.counts[section].items()))
            for section in SECTIONS
            if any(self.counts[section].values())
        ]
        return (out or ["nothing changed"]) + self.notes


# --- reading and checking -------------------------------------------------------------------


def _fits(text: str, column: Any) -> str:
    """PostgreSQL refuses text longer than its column (SQLite keeps it): an error here instead."""
    if len(text) > column.type.length:
        raise ValueError(f"is longer than {column.type.length} characters")
    return text


def _text(column: Any) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{value!r} is not a text")
        return _fits(value.strip(), column)

    return check


def _digits(value: Any) -> str:
    text = (
        str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    )
    if not re.fullmatch(r"\d{1,16}", text):
        raise ValueError(f'"{value}" must be digits only (what a caller types on the keypad)')
    return text


def _phone(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f'{value!r}: write phone numbers in quotes, e.g. "030 1234567"')
    return normalize(value)


def _block(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f'{value!r}: write number blocks in quotes, e.g. "+49 40 5551"')
    return prefix(value)


def _email(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value.strip()):
        raise ValueError(f'"{value}" is not an e-mail address')
    return _fits(value.strip(), Customer.email)  # every e-mail column has this length


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r}: expected true or false")
    return value


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError(f'"{value}" is not one of {", ".join(options)}')
        return value

    return check


def _decimal(column: Any) -> Callable[[Any], Decimal]:
    """An amount >= 0 that fits the column's digits (PostgreSQL refuses more; SQLite keeps it)."""
    places = column.type.scale
    limit = Decimal(10) ** (column.type.precision - places)

    def check(value: Any) -> Decimal:
        try:
            number = Decimal(str(value)) if not isinstance(value, bool) else Decimal("nan")
        except InvalidOperation:
            number = Decimal("nan")
        if not number.is_finite() or not 0 <= number < limit or number != round(number, places):
            raise ValueError(
                f'"{value}" is not an amount from 0 to below {limit} with at most {places} decimals'
            )
        return number

    return check


def _minutes(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 24 * 60:
        raise ValueError(f"{value!r} is not a number of minutes (0 to 1440)")
    return value


def _date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # YAML reads an unquoted 2026-11-02 as a date
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f'"{value}" is not a date (YYYY-MM-DD)')


def _instant(zone: ZoneInfo) -> Callable[[Any], datetime]:
    """An ISO date-time; without an offset it is a wall-clock time in the provider's zone."""

    def check(value: Any) -> datetime:
        try:
            at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f'"{value}" is not a date and time (YYYY-MM-DDTHH:MM)') from None
        return at.astimezone(UTC) if at.tzinfo else instant(at, zone)

    return check


def _day_start(zone: ZoneInfo, next_day: bool) -> Callable[[Any], datetime]:
    """Absences: a date is a whole day (from its 00:00, or until the 00:00 after it)."""

    def check(value: Any) -> datetime:
        if isinstance(value, datetime) or (isinstance(value, str) and "T" in value):
            return _instant(zone)(value)
        day = _date(value) + timedelta(days=1 if next_day else 0)
        return instant(datetime.combine(day, time()), zone)

    return check


def _rule(parse: Callable[[Any], Any], column: Any = None) -> Callable[[Any], Any]:
    """A validator of escalation/, keeping the value as written (the rota parses it again)."""

    def check(value: Any) -> Any:
        try:
            parse(value)
        except (TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"{value!r}: {exc}") from None
        return value if column is None else _fits(value, column)

    return check


def _zone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except Exception:  # noqa: BLE001 - ZoneInfo raises several kinds for bad names
        raise ValueError(f'"{value}" is not a time zone such as Europe/Berlin') from None
    return str(value)


def _region(value: Any) -> str:
    if value not in holidays.Germany.subdivisions:
        raise ValueError(f'"{value}" is not a German state code (BE, BY, BW, NW ...)')
    return value


class _Reader:
    """Checks one directory dict and collects every error, each naming entry and field."""

    def __init__(self, data: Any) -> None:
        self.errors: list[str] = []
        self.data = data if isinstance(data, Mapping) else {}
        if not isinstance(data, Mapping):
            self.errors.append(
                "the directory must be a mapping with the sections " + ", ".join(SECTIONS)
            )
        for name in sorted(set(self.data) - set(SECTIONS), key=str):
            self.errors.append(f"{name}: unknown section (known: {', '.join(SECTIONS)})")

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def entries(self, section: str) -> list[tuple[str, Mapping[str, Any]]]:
        """The section's entries with their names, e.g. `customers[3] (10042)`."""
        items = self.data.get(section) or []
        if not isinstance(items, list):
            self.error(section, "expected a list")
            return []
        found = []
        for i, item in enumerate(items):
            where = f"{section}[{i}]"
            if not isinstance(item, Mapping):
                self.error(where, "expected a mapping")
                continue
            ident = item.get(IDENTITY.get(section, ""))
            found.append((f"{where} ({ident})" if ident is not None else where, item))
        return found

    def known(self, where: str, item: Mapping[str, Any], allowed: set[str]) -> None:
        for name in sorted(set(item) - allowed, key=str):
            self.error(f"{where}.{name}", f"unknown field (known: {', '.join(sorted(allowed))})")

    def get(
        self,
        where: str,
        item: Mapping[str, Any],
        name: str,
        check: Callable[[Any], Any] | None = None,
        required: bool = False,
        default: Any = None,
    ) -> Any:
        value = item.get(name)
        if value is None or value == "":
            if required:
                self.error(f"{where}.{name}", "is required")
                return BAD
            return default
        if check is None:
            return value
        try:
            return check(value)
        except (ValueError, OverflowError) as exc:  # overflow: a date at the end of the calendar
            self.error(f"{where}.{name}", str(exc))
            return BAD

    def ref(
        self,
        where: str,
        item: Mapping[str, Any],
        name: str,
        keys: set[str],
        what: str,
        required: bool = False,
    ) -> str | None:
        value = self.get(where, item, name, required=required)
        if value is None or value is BAD:
            return value
        if str(value) not in keys:
            self.error(f"{where}.{name}", f'unknown {what} "{value}"')
            return BAD
        return str(value)

    def unique(self, where: str, name: str, value: Any, seen: dict[Any, str]) -> None:
        if value is BAD or value is None:
            return
        if value in seen:
            self.error(f"{where}.{name}", f'duplicate {name} "{value}" (also {seen[value]})')
        else:
            seen[value] = where


def _read(data: Any) -> dict[str, Any]:
    """The checked, normalised directory; raises DirectoryError listing every problem."""
    r = _Reader(data)
    plan: dict[str, Any] = {}

    raw = r.data.get("provider")
    if not isinstance(raw, Mapping):
        r.error("provider", "is required (a mapping with at least name and fallback_number)")
        raw = {}
    r.known("provider", raw, FIELDS["provider"])
    zone_name = r.get("provider", raw, "timezone", _zone, default="Europe/Berlin")
    zone = ZoneInfo(zone_name if zone_name is not BAD else "Europe/Berlin")
    plan["provider"] = {
        "name": r.get("provider", raw, "name", _text(Provider.name), required=True),
        "central_number": r.get("provider", raw, "central_number", _phone),
        "fallback_number": r.get("provider", raw, "fallback_number", _phone, required=True),
        "office_number": r.get("provider", raw, "office_number", _phone),
        "support_email": r.get("provider", raw, "support_email", _email),
        "timezone": zone_name,
        "holiday_region": r.get("provider", raw, "holiday_region", _region, default="BE"),
        "policy": r.get("provider", raw, "policy", _rule(parse_policy)),
        "settings": r.get("provider", raw, "settings", _mapping),
    }

    teams = r.entries("teams")
    engineers = r.entries("engineers")
    customers = r.entries("customers")
    team_keys = {str(item.get("key")) for _, item in teams}
    engineer_keys = {str(item.get("key")) for _, item in engineers}
    customer_numbers = {str(item.get("number")) for _, item in customers}

    seen: dict[Any, str] = {}
    plan["teams"] = []
    for where, item in teams:
        r.known(where, item, FIELDS["teams"])
        key = r.get(where, item, "key", _text(Team.key), required=True)
        r.unique(where, "key", key, seen)
        plan["teams"].append(
            {
                "key": key,
                "name": r.get(where, item, "name", _text(Team.name), required=True),
                "project_lead": r.ref(where, item, "project_lead", engineer_keys, "engineer"),
                "policy": r.get(where, item, "policy", _rule(parse_policy)),
            }
        )

    seen = {}
    plan["engineers"] = []
    for where, item in engineers:
        r.known(where, item, FIELDS["engineers"])
        key = r.get(where, item, "key", _text(Engineer.key), required=True)
        r.unique(where, "key", key, seen)
        plan["engineers"].append(
            {
                "key": key,
                "name": r.get(where, item, "name", _text(Engineer.name), required=True),
                "team": r.ref(where, item, "team", team_keys, "team"),
                "role": r.get(where, item, "role", _choice(ROLES), default="consultant"),
                "mobile": r.get(where, item, "mobile", _phone),
                "email": r.get(where, item, "email", _email),
                "active": r.get(where, item, "active", _bool, default=True),
            }
        )

    seen = {}
    plan["customers"] = []
    for where, item in customers:
        r.known(where, item, FIELDS["customers"])
        number = r.get(where, item, "number", _digits, required=True)
        r.unique(where, "number", number, seen)
        plan["customers"].append(
            {
                "number": number,
                "name": r.get(where, item, "name", _text(Customer.name), required=True),
                "team": r.ref(where, item, "team", team_keys, "team", required=True),
                "contact": r.ref(where, item, "contact", engineer_keys, "engineer"),
                "language": r.get(where, item, "language", _choice(LANGUAGES), default="de"),
                "pin": r.get(where, item, "pin", _digits),
                "email": r.get(where, item, "email", _email),
                "sms_number": r.get(where, item, "sms_number", _phone),
                "phones": _read_phones(r, where, item.get("phones")),
                "contract": _read_contract(r, where, item.get("contract")),
            }
        )

    seen = {}
    plan["rotations"] = []
    shift, handoff = _rule(parse_shift, Rotation.shift), _rule(parse_handoff, Rotation.handoff)
    for where, item in r.entries("rotations"):
        r.known(where, item, FIELDS["rotations"])
        team = r.ref(where, item, "team", team_keys, "team", required=True)
        layer = r.get(where, item, "layer", _choice(LAYERS), default="primary")
        key = r.get(where, item, "key", _text(Rotation.key), default=f"{team}-{layer}")
        r.unique(where, "key", key, seen)
        members = item.get("members")
        if not isinstance(members, list) or not members:
            r.error(f"{where}.members", "expected a list of engineer keys")
            members = []
        for i, member in enumerate(members):
            if str(member) not in engineer_keys:
                r.error(f"{where}.members[{i}]", f'unknown engineer "{member}"')
        plan["rotations"].append(
            {
                "key": key,
                "team": team,
                "layer": layer,
                "members": [str(m) for m in members],
                "shift": r.get(where, item, "shift", shift, default="1w"),
                "handoff": r.get(where, item, "handoff", handoff, default="Mon 08:00"),
                "start": r.get(where, item, "start", _date, required=True),
                "restriction": r.get(where, item, "restriction", _rule(parse_restriction)),
            }
        )

    plan["overrides"] = []
    for where, item in r.entries("overrides"):
        r.known(where, item, FIELDS["overrides"])
        entry = {
            "engineer": r.ref(where, item, "engineer", engineer_keys, "engineer", required=True),
            "replaces": r.ref(where, item, "replaces", engineer_keys, "engineer"),
            "team": r.ref(where, item, "team", team_keys, "team", required=True),
            "layer": r.get(where, item, "layer", _choice(LAYERS), default="primary"),
            "starts_at": r.get(where, item, "from", _instant(zone), required=True),
            "ends_at": r.get(where, item, "until", _instant(zone), required=True),
        }
        _check_order(r, where, entry)
        plan["overrides"].append(entry)

    plan["absences"] = []
    for where, item in r.entries("absences"):
        r.known(where, item, FIELDS["absences"])
        entry = {
            "engineer": r.ref(where, item, "engineer", engineer_keys, "engineer", required=True),
            "starts_at": r.get(where, item, "from", _day_start(zone, False), required=True),
            "ends_at": r.get(where, item, "until", _day_start(zone, True), required=True),
            "reason": r.get(where, item, "reason", _text(Absence.reason)),
        }
        _check_order(r, where, entry)
        plan["absences"].append(entry)

    seen = {}
    plan["appointments"] = []
    for where, item in r.entries("appointments"):
        r.known(where, item, FIELDS["appointments"])
        key = r.get(where, item, "key", _text(Appointment.key), required=True)
        r.unique(where, "key", key, seen)
        customer = item.get("customer")
        if customer is not None and str(customer) not in customer_numbers:
            r.error(f"{where}.customer", f'unknown customer number "{customer}"')
        entry = {
            "key": key,
            "engineer": r.ref(where, item, "engineer", engineer_keys, "engineer", required=True),
            "customer": str(customer) if customer is not None else None,
            "starts_at": r.get(where, item, "start", _instant(zone), required=True),
            "ends_at": r.get(where, item, "end", _instant(zone), required=True),
            "title": r.get(where, item, "title", _text(Appointment.title), default=""),
            "onsite": r.get(where, item, "onsite", _bool, default=False),
        }
        _check_order(r, where, entry, "end")
        plan["appointments"].append(entry)

    if r.errors:
        raise DirectoryError(r.errors)
    return plan


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{value!r}: expected a mapping")
    return dict(value)


def _check_order(r: _Reader, where: str, entry: dict[str, Any], end: str = "until") -> None:
    start, stop = entry["starts_at"], entry["ends_at"]
    if start not in (None, BAD) and stop not in (None, BAD) and stop <= start:
        r.error(f"{where}.{end}", "must be after the start")


def _read_phones(r: _Reader, where: str, items: Any) -> list[tuple[str, str, str | None]]:
    if items is None:
        return []
    if not isinstance(items, list):
        r.error(f"{where}.phones", "expected a list")
        return []
    phones: list[tuple[str, str, str | None]] = []
    seen: dict[Any, str] = {}
    for i, item in enumerate(items):
        at = f"{where}.phones[{i}]"
        if not isinstance(item, Mapping) or ("number" in item) == ("block" in item):
            r.error(at, "expected a mapping with either number or block")
            continue
        r.known(at, item, FIELDS["phones"])
        kind = "number" if "number" in item else "block"
        value = r.get(at, item, kind, _phone if kind == "number" else _block, required=True)
        r.unique(at, kind, value if value is BAD else (kind, value), seen)
        phones.append((kind, value, r.get(at, item, "label", _text(Phone.label))))
    return phones


def _read_contract(r: _Reader, where: str, item: Any) -> dict[str, Any] | None:
    if item is None:
        return None
    at = f"{where}.contract"
    if not isinstance(item, Mapping):
        r.error(at, "expected a mapping")
        return None
    r.known(at, item, FIELDS["contract"])
    zero = Decimal("0")
    return {
        "monthly_hours": r.get(
            at, item, "monthly_hours", _decimal(Contract.monthly_hours), default=zero
        ),
        "hourly_rate": r.get(at, item, "hourly_rate", _decimal(Contract.hourly_rate), default=zero),
        "billing_increment_minutes": r.get(
            at, item, "billing_increment_minutes", _minutes, default=15
        ),
        "minimum_minutes": r.get(at, item, "minimum_minutes", _minutes, default=0),
        "surcharge_percent": r.get(
            at, item, "surcharge_percent", _decimal(Contract.surcharge_percent), default=zero
        ),
        "surcharge_flat": r.get(
            at, item, "surcharge_flat", _decimal(Contract.surcharge_flat), default=zero
        ),
        "emergency_minutes": r.get(at, item, "emergency_minutes", _minutes),
    }


# --- applying -------------------------------------------------------------------------------


def _assign(row: Any, values: Mapping[str, Any]) -> bool:
    """Set the values that differ; True when something changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _upsert(
    session: Session, model: type, rows: dict[str, Any], key: str, values: dict[str, Any]
) -> tuple[Any, str | None]:
    """The row for `key`, created or updated; the verb to count, None when unchanged."""
    row = rows.get(key)
    if row is None:
        row = rows[key] = model(**values)
        session.add(row)
        return row, "created"
    return row, "updated" if _assign(row, values) else None


def _sync(
    session: Session,
    rows: list[Any],
    wanted: list[dict[str, Any]],
    model: type,
    summary: Summary,
    section: str,
    now: datetime,
) -> None:
    """Rows without keys (overrides, absences): the file says what holds from now on.

    An entry equal to a row changes nothing, another entry is created as written. A row missing
    from the file keeps its past (history is fact): one that has ended is kept, one running is
    ended at `now`, or runs to the new end when the file gives it one (same start, same people,
    an end after now), and only one that has not started yet is removed. `now` is taken to the
    second, as export writes it, so that a row ended here comes back unchanged.
    """
    now = now.replace(microsecond=0)
    names = list(wanted[0]) if wanted else []
    spare: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in rows:
        spare[tuple(getattr(row, n) for n in names) if names else (row.id,)].append(row)
    new = []
    for values in wanted:
        found = spare.get(tuple(values.values()))
        if found:
            found.pop()
        else:
            new.append(values)
    for row in (row for left in spare.values() for row in left):
        if row.ends_at <= now:
            summary.count(section, "kept")
        elif row.starts_at < now:
            same = {n: getattr(row, n) for n in names if n != "ends_at"}
            later = next(
                (v for v in new if _without(v, "ends_at") == same and v["ends_at"] > now), None
            )
            row.ends_at = later["ends_at"] if later else now
            if later:
                new.remove(later)
            summary.count(section, "updated" if later else "ended")
        else:
            session.delete(row)
            summary.count(section, "removed")
    for values in new:
        session.add(model(**values))
        summary.count(section, "created")


def _apply(session: Session, plan: dict[str, Any], now: datetime) -> Summary:
    summary = Summary()

    provider = Provider.one(session)
    if provider is None:
        session.add(Provider(**plan["provider"]))
        summary.count("provider", "created")
    elif _assign(provider, plan["provider"]):
        summary.count("provider", "updated")

    teams = {t.key: t for t in session.scalars(select(Team))}
    created_teams = set()
    for entry in plan["teams"]:
        if entry["key"] not in teams:
            _upsert(
                session, Team, teams, entry["key"], {"key": entry["key"], "name": entry["name"]}
            )
            created_teams.add(entry["key"])
    session.flush()

    engineers = {e.key: e for e in session.scalars(select(Engineer))}
    for entry in plan["engineers"]:
        values = _without(entry, "team") | {
            "team_id": teams[entry["team"]].id if entry["team"] else None
        }
        _, verb = _upsert(session, Engineer, engineers, entry["key"], values)
        if verb:
            summary.count("engineers", verb)
    listed = {entry["key"] for entry in plan["engineers"]}
    for key, engineer in engineers.items():
        if key not in listed and engineer.active:
            engineer.active = False
            summary.count("engineers", "deactivated")
    session.flush()

    for entry in plan["teams"]:
        lead = engineers[entry["project_lead"]].id if entry["project_lead"] else None
        values = {"name": entry["name"], "policy": entry["policy"], "project_lead_id": lead}
        changed = _assign(teams[entry["key"]], values)
        if entry["key"] in created_teams:
            summary.count("teams", "created")
        elif changed:
            summary.count("teams", "updated")
    _kept(summary, "teams", set(teams) - {entry["key"] for entry in plan["teams"]})

    customers = {
        c.number: c
        for c in session.scalars(
            select(Customer).options(selectinload(Customer.phones), selectinload(Customer.contract))
        )
    }
    for entry in plan["customers"]:
        values = _without(entry, "team", "contact", "phones", "contract") | {
            "team_id": teams[entry["team"]].id,
            "contact_id": engineers[entry["contact"]].id if entry["contact"] else None,
        }
        customer, verb = _upsert(session, Customer, customers, entry["number"], values)
        changed = _sync_phones(customer, entry["phones"]) | _sync_contract(
            customer, entry["contract"]
        )
        if verb or changed:
            summary.count("customers", verb or "updated")
    _kept(summary, "customers", set(customers) - {entry["number"] for entry in plan["customers"]})
    session.flush()

    versions: defaultdict[str, list[Rotation]] = defaultdict(list)
    for row in session.scalars(
        select(Rotation).options(selectinload(Rotation.members)).order_by(Rotation.id)
    ):
        versions[row.key].append(row)
    wanted = {
        entry["key"]: _without(entry, "team", "members")
        | {
            "team_id": teams[entry["team"]].id,
            "members": [engineers[key].id for key in entry["members"]],
        }
        for entry in plan["rotations"]
    }
    zone = ZoneInfo(plan["provider"]["timezone"])
    since = None if not versions else now  # the first rota describes how it has been running
    for key in [*wanted, *sorted(set(versions) - set(wanted))]:
        _revise(session, key, versions[key], wanted.get(key), now, since, zone, summary)

    def ids(entry: dict[str, Any], *names: str) -> dict[str, Any]:
        return {f"{n}_id": engineers[entry[n]].id if entry[n] else None for n in names}

    _sync(
        session,
        list(session.scalars(select(Override))),
        [
            {"team_id": teams[e["team"]].id, "layer": e["layer"]}
            | ids(e, "engineer", "replaces")
            | {"starts_at": e["starts_at"], "ends_at": e["ends_at"]}
            for e in plan["overrides"]
        ],
        Override,
        summary,
        "overrides",
        now,
    )
    _sync(
        session,
        list(session.scalars(select(Absence))),
        [ids(e, "engineer") | _without(e, "engineer") for e in plan["absences"]],
        Absence,
        summary,
        "absences",
        now,
    )

    keys = [entry["key"] for entry in plan["appointments"]]
    appointments = (
        {a.key: a for a in session.scalars(select(Appointment).where(Appointment.key.in_(keys)))}
        if keys
        else {}
    )
    for entry in plan["appointments"]:
        customer = customers[entry["customer"]].id if entry["customer"] else None
        values = _without(entry, "engineer", "customer") | ids(entry, "engineer")
        _, verb = _upsert(
            session, Appointment, appointments, entry["key"], values | {"customer_id": customer}
        )
        if verb:
            summary.count("appointments", verb)
    return summary


def _definition(row: Rotation) -> dict[str, Any]:
    """A stored rotation version as the importer's values, to compare with the file."""
    names = ("key", "layer", "shift", "handoff", "start", "restriction", "team_id")
    return {n: getattr(row, n) for n in names} | {"members": [m.engineer_id for m in row.members]}


def _version(row: Rotation) -> rota.Rotation:
    """Enough of a stored version for its hand-offs."""
    return rota.Rotation(
        row.key,
        "",
        row.layer,
        (),
        parse_shift(row.shift),
        parse_handoff(row.handoff),
        row.start,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
    )


def _revise(
    session: Session,
    key: str,
    rows: list[Rotation],
    wanted: dict[str, Any] | None,
    now: datetime,
    since: datetime | None,
    zone: ZoneInfo,
    summary: Summary,
) -> None:
    """Make `wanted` (None: no rotation) the rotation's future, keeping its past.

    The file describes the rotation from now on: a changed definition becomes a new version
    that starts at the next hand-off of the version in force (rota.takes_effect); a rotation
    missing from the file ends there. Versions planned by an earlier import and not yet in force
    give way to the file. A new rotation is in force from `since` (None: since ever).
    """
    latest = rows[-1] if rows else None
    if latest is None or latest.valid_until is not None:
        if wanted is None:
            return  # gone, or ending already
    elif wanted is not None and _definition(latest) == wanted:
        return
    planned = [r for r in rows if r.valid_from is not None and r.valid_from >= now]
    for row in planned:  # never in force: the newer file replaces the plan
        session.delete(row)
        rows.remove(row)
    if planned:
        session.flush()  # before a new version takes the same (key, valid_from)
    current = next((r for r in rows if _version(r).in_force(now)), None)
    if current and wanted is not None and _definition(current) == wanted:
        current.valid_until = None  # back to what is in force: the planned change is dropped
        summary.count("rotations", "updated")
        return
    effective = rota.takes_effect(_version(current) if current else None, now, zone)
    if current:
        current.valid_until = effective
    if wanted is not None:
        values = _without(wanted, "members") | {"valid_from": effective if rows else since}
        members = [
            RotationMember(position=i, engineer_id=e) for i, e in enumerate(wanted["members"])
        ]
        session.add(Rotation(**values, members=members))
    verb = "ended" if wanted is None else "updated" if current else "created"
    summary.count("rotations", verb)
    if effective > now:
        what = "ends" if wanted is None else "changes"
        summary.notes.append(f"rotation {key} {what} at the hand-off {_local(effective, zone)}")


def _without(entry: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in names}


def _kept(summary: Summary, section: str, missing: set[str]) -> None:
    """Teams and customers have history (tickets, bills): an import never deletes them."""
    if missing:
        summary.count(section, "kept", len(missing))
        summary.notes.append(
            f"{section} not in the file, kept unchanged: {', '.join(sorted(missing))}"
        )


def _sync_phones(customer: Customer, wanted: list[tuple[str, str, str | None]]) -> bool:
    labels = {(kind, value): label for kind, value, label in wanted}
    changed = False
    for phone in list(customer.phones):
        key = (phone.kind, phone.value)
        if key not in labels:
            customer.phones.remove(phone)
            changed = True
        else:
            label = labels.pop(key)
            changed |= _assign(phone, {"label": label})
    for (kind, value), label in labels.items():
        customer.phones.append(Phone(kind=kind, value=value, label=label))
        changed = True
    return changed


def _sync_contract(customer: Customer, wanted: dict[str, Any] | None) -> bool:
    if wanted is None:
        changed = customer.contract is not None
        customer.contract = None
        return changed
    if customer.contract is None:
        customer.contract = Contract(**wanted)
        return True
    return _assign(customer.contract, wanted)


# --- the public interface -------------------------------------------------------------------


def import_directory(session: Session, data: Any) -> Summary:
    """Check `data` whole, then upsert it in one transaction; DirectoryError changes nothing."""
    plan = _read(data)
    try:
        summary = _apply(session, plan, clock.now())
        session.commit()
    except Exception:
        session.rollback()
        raise
    fallback.remember(current_app.instance_path, plan["provider"]["fallback_number"])
    return summary


class _Loader(yaml.SafeLoader):
    """YAML without the integer surprises of YAML 1.1: an unquoted `0123` (a PIN, a customer
    number) would be the octal 83 and `8:00` the sexagesimal 480, silently; here they stay text.
    Decimal integers (`10`, `10042`) are still integers."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:int"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
)


def import_file(session: Session, path: str | Path) -> Summary:
    """Import a YAML file; a YAML syntax error is reported like any other error."""
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        raise DirectoryError([f"{path}: {exc}"]) from None
    return import_directory(session, data)


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    """Leave out what is unset, so the file shows only what was said."""
    return {k: v for k, v in values.items() if v is not None and v != [] and v != {}}


def _written(number: str | None) -> str | None:
    return international(number) if number else None


def _amount(value: Decimal, money: bool) -> str | int:
    """Money as "120.00"; hours and percent as the plain number (10, 7.5)."""
    if money:
        return f"{value:.2f}"
    plain = value.normalize()
    return int(plain) if plain == plain.to_integral_value() else str(plain)


def _local(at: datetime, zone: ZoneInfo) -> str:
    """A wall-clock time in the provider's zone; with its offset only where the clock repeats."""
    local = wall(at, zone)
    spec = "minutes" if not local.second and not local.microsecond else "seconds"
    if instant(local, zone) != at:  # the second occurrence of an autumn hour
        return at.astimezone(zone).isoformat(timespec=spec)
    return local.isoformat(timespec=spec)


def _day_or_time(at: datetime, zone: ZoneInfo, until: bool) -> str:
    """Absences: whole days as dates (`until` is the last day off), anything else as a time."""
    local = wall(at, zone)
    if local.time() == time() and instant(local, zone) == at:
        return (local.date() - timedelta(days=1 if until else 0)).isoformat()
    return _local(at, zone)


def export_directory(session: Session) -> dict[str, Any]:
    """The database as a directory dict in the import's shape (export -> import changes nothing)."""
    provider = Provider.one(session)
    zone = ZoneInfo(provider.timezone if provider else "Europe/Berlin")
    teams = session.scalars(select(Team).order_by(Team.key)).all()
    engineers = session.scalars(select(Engineer).order_by(Engineer.key)).all()
    team_key = {t.id: t.key for t in teams}
    engineer_key = {e.id: e.key for e in engineers}
    customers = session.scalars(
        select(Customer)
        .options(selectinload(Customer.phones), selectinload(Customer.contract))
        .order_by(Customer.number)
    ).all()
    customer_number = {c.id: c.number for c in customers}
    out: dict[str, Any] = {}
    if provider:
        out["provider"] = _compact(
            {
                "name": provider.name,
                "central_number": _written(provider.central_number),
                "fallback_number": _written(provider.fallback_number),
                "office_number": _written(provider.office_number),
                "support_email": provider.support_email,
                "timezone": provider.timezone,
                "holiday_region": provider.holiday_region,
                "policy": provider.policy,
                "settings": provider.settings,
            }
        )
    out["teams"] = [
        _compact(
            {
                "key": t.key,
                "name": t.name,
                "project_lead": engineer_key.get(t.project_lead_id),
                "policy": t.policy,
            }
        )
        for t in teams
    ]
    out["engineers"] = [
        _compact(
            {
                "key": e.key,
                "name": e.name,
                "team": team_key.get(e.team_id),
                "role": e.role,
                "mobile": _written(e.mobile),
                "email": e.email,
                "active": None if e.active else False,
            }
        )
        for e in engineers
    ]
    out["customers"] = [
        _compact(
            {
                "number": c.number,
                "name": c.name,
                "team": team_key.get(c.team_id),
                "contact": engineer_key.get(c.contact_id),
                "language": c.language,
                "pin": c.pin,
                "email": c.email,
                "sms_number": _written(c.sms_number),
                "phones": [
                    _compact({p.kind: _written(p.value) if p.kind == "number" else p.value})
                    | _compact({"label": p.label})
                    for p in c.phones
                ],
                "contract": c.contract
                and _compact(
                    {
                        name: _amount(getattr(c.contract, name), name in MONEY)
                        if isinstance(getattr(c.contract, name), Decimal)
                        else getattr(c.contract, name)
                        for name in sorted(FIELDS["contract"])
                    }
                ),
            }
        )
        for c in customers
    ]
    latest: dict[str, Rotation] = {}  # the last version: what the last import said
    for row in session.scalars(
        select(Rotation).options(selectinload(Rotation.members)).order_by(Rotation.id)
    ):
        latest[row.key] = row
    rotations = [r for _, r in sorted(latest.items()) if r.valid_until is None]
    out["rotations"] = [
        _compact(
            {
                "key": r.key,
                "team": team_key[r.team_id],
                "layer": r.layer,
                "members": [engineer_key[m.engineer_id] for m in r.members],
                "shift": r.shift,
                "handoff": r.handoff,
                "start": r.start.isoformat(),
                "restriction": r.restriction,
            }
        )
        for r in rotations
    ]
    overrides = session.scalars(select(Override).order_by(Override.starts_at, Override.id))
    out["overrides"] = [
        _compact(
            {
                "engineer": engineer_key[o.engineer_id],
                "replaces": engineer_key.get(o.replaces_id),
                "team": team_key[o.team_id],
                "layer": o.layer,
                "from": _local(o.starts_at, zone),
                "until": _local(o.ends_at, zone),
            }
        )
        for o in overrides
    ]
    absences = session.scalars(select(Absence).order_by(Absence.starts_at, Absence.id))
    out["absences"] = [
        _compact(
            {
                "engineer": engineer_key[a.engineer_id],
                "from": _day_or_time(a.starts_at, zone, until=False),
                "until": _day_or_time(a.ends_at, zone, until=True),
                "reason": a.reason,
            }
        )
        for a in absences
    ]
    appointments = session.scalars(
        select(Appointment).order_by(Appointment.starts_at, Appointment.key)
    )
    out["appointments"] = [
        _compact(
            {
                "key": a.key,
                "engineer": engineer_key[a.engineer_id],
                "customer": customer_number.get(a.customer_id),
                "start": _local(a.starts_at, zone),
                "end": _local(a.ends_at, zone),
                "title": a.title or None,
                "onsite": a.onsite,
            }
        )
        for a in appointments
    ]
    return out


def dump(data: dict[str, Any]) -> str:
    """A directory dict as YAML text, umlauts as they are."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def export_file(session: Session, path: str | Path) -> None:
    Path(path).write_text(dump(export_directory(session)), encoding="utf-8")
