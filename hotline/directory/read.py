"""Reading a directory: every value checked and normalised before anything is written.

All errors of a file are collected, each naming its entry and field, so a provider fixes the file
in one pass; the result (the "plan") holds only clean values: E.164 numbers, UTC instants,
Decimals, database keys still as the file's keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import yaml

from escalation.chain import parse_policy
from escalation.rota import LAYERS, instant, parse_handoff, parse_restriction, parse_shift
from hotline.models import (
    Absence,
    Appointment,
    Contract,
    Customer,
    Engineer,
    Phone,
    Provider,
    Rotation,
    Team,
)
from hotline.phones import normalize, prefix

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


def load(path: str | Path) -> Any:
    """A YAML file as data; a syntax error is reported like any other error."""
    try:
        return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        raise DirectoryError([f"{path}: {exc}"]) from None


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
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f'"{value}" is not a date (YYYY-MM-DD)') from None


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


def checked(data: Any) -> dict[str, Any]:
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
