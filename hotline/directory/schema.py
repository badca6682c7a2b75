"""The directory's schema: one typed model per section, used to read, export and document it.

Reading validates a file's data against `Directory` (pydantic v2, so every field error of the
whole file is collected, each with its place); export builds the same models from the database
and dumps them (`mode="json"`), so what export writes is what import reads; docs/directory.md's
tables are generated from the fields' descriptions (`tables`), so the docs cannot drift.

Every value is checked as the later runs will use it: text is printable and fits its column,
numbers are E.164, times are UTC instants, amounts fit their columns, settings are read the way
escalation/ reads them. What the import accepts can make no later run fail.

Checks that span entries need the whole file: references (a team key) come from the reader as
validation context (`Context`), duplicates are checked per section from the raw entries, so an
entry with another error is still compared.
"""

from __future__ import annotations

import re
import types
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Any, Union, get_args, get_origin
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializationInfo,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    field_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from escalation import jourfixe, regions, routing
from escalation.chain import Phone, parse_phones, parse_policy
from escalation.rota import LAYERS, parse_handoff, parse_restriction, parse_shift
from escalation.slots import WorkingHours
from escalation.wallclock import DEFAULT_ZONE, WEEKDAYS, instant, parse, wall
from hotline import models as m
from hotline.outbound.events import EVENTS
from hotline.outbound.targets import ALL, NAME, PREFIX
from hotline.phones import international, normalize, prefix

ROLES = ("project_lead", "consultant")
FORMATS = ("generic", "zammad")  # of a webhook: hotline/outbound/
LANGUAGES = ("de", "en")


# --- showing values in messages ------------------------------------------------------------


def shown(value: Any, limit: int = 60) -> str:
    """A value quoted for an error message: never a control character on the terminal, never
    a megabyte of it."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    safe = "".join(c if c.isprintable() or c == " " else _escape(c) for c in text)
    return f'"{safe}"'


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else char


# --- text that every reader of it can take -------------------------------------------------

NAMES = {
    0x00: "NUL",
    0x09: "tab",
    0x0A: "line feed",
    0x0B: "vertical tab",
    0x0C: "form feed",
    0x0D: "carriage return",
    0x1B: "escape",
    0x7F: "delete",
    0x85: "next line",
    0x2028: "line separator",
    0x2029: "paragraph separator",
}


def refused(char: str) -> bool:
    """Characters no text of the directory may hold.

    Control characters C0 and C1 (TwiML is XML: libxml2 and expat refuse most of them, and a
    line break in a name breaks every e-mail header it appears in), the line and paragraph
    separators (str.splitlines and mail treat them as line breaks), lone surrogates (no
    encoding can store them) and the noncharacters U+FDD0..U+FDEF, U+xFFFE and U+xFFFF.
    """
    code = ord(char)
    category = unicodedata.category(char)
    return (
        category in ("Cc", "Cs", "Zl", "Zp")
        or 0xFDD0 <= code <= 0xFDEF
        or (code & 0xFFFE) == 0xFFFE
    )


def unprintable(text: str) -> str | None:
    """Why `text` is refused (its first refused character), or None."""
    for position, char in enumerate(text):
        if refused(char):
            code = ord(char)
            name = NAMES.get(code) or (
                "a lone surrogate" if 0xD800 <= code <= 0xDFFF else "a control character"
            )
            what = "a noncharacter" if unicodedata.category(char) == "Cn" else name
            return (
                f"contains U+{code:04X} ({what}) at position {position + 1}: "
                "only printable text is allowed"
            )
    return None


def _string(value: Any, what: str = "a text") -> str:
    if not isinstance(value, str):
        raise ValueError(f"{shown(value)} is not {what}")
    problem = unprintable(value)
    if problem:
        raise ValueError(problem)
    return value


def _text(length: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = _string(value).strip()
        if not text:
            raise ValueError(f"{shown(value)} is not a text")
        if len(text) > length:  # PostgreSQL refuses longer text (SQLite keeps it)
            raise ValueError(f"is longer than {length} characters")
        return text

    return check


def _notes(value: Any) -> str:
    """Printable text of several lines (line breaks allowed, nothing else unprintable)."""
    text = value if isinstance(value, str) else None
    if text is None:
        raise ValueError(f"{shown(value)} is not a text")
    problem = unprintable(text.replace("\n", " "))
    if problem:
        raise ValueError(problem)
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    if len(text) > 2000:
        raise ValueError("is longer than 2000 characters")
    return text


def _url(value: Any) -> str:
    text = _string(value, "a web address").strip()
    if not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", text) or len(text) > 500:
        raise ValueError(f"{shown(value)} is not a web address (https://...)")
    return text


Notes = Annotated[str, BeforeValidator(_notes)]
Url = Annotated[str, BeforeValidator(_url)]


def Text(column: Any) -> Any:  # noqa: N802 - a type
    """Printable, stripped, non-empty text that fits `column`."""
    return Annotated[str, BeforeValidator(_text(column.type.length))]


def _digits(value: Any) -> str:
    """ASCII digits only: `\\d` would take Arabic-Indic digits that no keypad can type."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(text, str) and unprintable(text):
        raise ValueError(unprintable(text))
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{1,16}", text.strip()):
        raise ValueError(f"{shown(value)} must be digits only (what a caller types on the keypad)")
    return text.strip()


def _phone(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f'{shown(value)}: write phone numbers in quotes, e.g. "030 1234567"')
    _string(value)
    try:
        return normalize(value)
    except ValueError:
        raise ValueError(f"{shown(value)} is not a valid phone number") from None


def _block(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f'{shown(value)}: write number blocks in quotes, e.g. "+49 40 5551"')
    _string(value)
    try:
        block = prefix(value)
    except ValueError:
        raise ValueError(f"{shown(value)} is not a valid number block") from None
    if routing.area_code_digits(block) is None:  # e.g. "030 1" read as +490301: never matches
        raise ValueError(
            f"{shown(value)} is not a valid number block: no valid number starts with {block} "
            '(write short blocks with the country code, e.g. "+49 30 1234")'
        )
    return block


def _email(value: Any) -> str:
    text = _string(value, "an e-mail address").strip()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise ValueError(f"{shown(value)} is not an e-mail address")
    if len(text) > m.Customer.email.type.length:  # every e-mail column has this length
        raise ValueError(f"is longer than {m.Customer.email.type.length} characters")
    return text


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{shown(value)}: expected true or false")
    return value


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            raise ValueError(f"{shown(value)} is not one of {', '.join(options)}")
        return value

    return check


def _amount(column: Any) -> Callable[[Any], Decimal]:
    """An amount >= 0 that fits the column's digits (PostgreSQL refuses more; SQLite keeps it)."""
    places = column.type.scale
    limit = Decimal(10) ** (column.type.precision - places)

    def check(value: Any) -> Decimal:
        number = Decimal("nan")
        if isinstance(value, int | float | Decimal | str) and not isinstance(value, bool):
            with suppress(InvalidOperation):  # stays NaN: refused below
                number = Decimal(str(value).strip())
        if not number.is_finite() or not 0 <= number < limit or number != round(number, places):
            raise ValueError(
                f"{shown(value)} is not an amount from 0 to below {limit} with at most "
                f"{places} decimals"
            )
        return number

    return check


def _minutes(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{shown(value)} is not a number of minutes ({low} to {high})")
        return value

    return check


def _date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # YAML reads an unquoted 2026-11-02 as a date
    text = _string(value, "a date (YYYY-MM-DD)")
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text.strip()):
            raise ValueError
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{shown(value)} is not a date (YYYY-MM-DD)") from None


def _month(value: Any) -> str:
    """A month as `"2026-01"`; YAML's date `2026-01-01` (the first of a month) is taken too."""
    if isinstance(value, date) and not isinstance(value, datetime):
        if value.day != 1:
            raise ValueError(f"{shown(str(value))} is not a month (YYYY-MM)")
        return f"{value:%Y-%m}"
    text = _string(value, "a month (YYYY-MM)").strip()
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", text):
        raise ValueError(f"{shown(value)} is not a month (YYYY-MM)")
    return text


def _zone_of(info: ValidationInfo | SerializationInfo) -> ZoneInfo:
    context = info.context if isinstance(info.context, Context) else None
    return context.zone if context else ZoneInfo(DEFAULT_ZONE)


def _at(value: Any, zone: ZoneInfo) -> datetime:
    """An ISO date-time; without an offset it is a wall-clock time in the provider's zone
    (escalation/wallclock.py, as every other way in)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time())  # YAML's unquoted date: its midnight
    try:
        if isinstance(value, datetime):
            return instant(value, zone)
        text = _string(value, "a date and time (YYYY-MM-DDTHH:MM)")
        try:
            return parse(text, zone)
        except ValueError:
            raise ValueError(f"{shown(text)} is not a date and time (YYYY-MM-DDTHH:MM)") from None
    except OverflowError:
        raise ValueError("date value out of range") from None


def _instant(value: Any, info: ValidationInfo) -> datetime:
    return _at(value, _zone_of(info))


def _day(next_day: bool) -> Callable[[Any, ValidationInfo], datetime]:
    """Absences: a date is a whole day (from its 00:00, or until the 00:00 after it)."""

    def check(value: Any, info: ValidationInfo) -> datetime:
        if isinstance(value, datetime) or (isinstance(value, str) and "T" in value):
            return _instant(value, info)
        try:
            day = _date(value) + timedelta(days=1 if next_day else 0)
            return instant(datetime.combine(day, time()), _zone_of(info))
        except OverflowError:
            raise ValueError("date value out of range") from None

    return check


def _rule(parse: Callable[[Any], Any], column: Any = None) -> Callable[[Any], Any]:
    """A validator of escalation/, keeping the value as written (the rota parses it again)."""

    def check(value: Any) -> Any:
        if column is not None:
            _string(value)
        try:
            parse(value)
        except (TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise ValueError(f"{shown(value)}: {exc}") from None
        if column is not None and len(value) > column.type.length:
            raise ValueError(f"is longer than {column.type.length} characters")
        return value

    return check


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_name(value: Any) -> str:
    if not isinstance(value, str) or value not in _zones():
        raise ValueError(f"{shown(value)} is not a time zone such as Europe/Berlin")
    return value


def _region(value: Any) -> str:
    try:
        return regions.check(value)
    except ValueError:
        raise ValueError(
            f"{shown(value)} is not a holiday region; one of {', '.join(regions.REGIONS)}"
        ) from None


# --- references between sections -----------------------------------------------------------


class Context:
    """What a field needs from the rest of the file: the provider's zone and the keys that
    references may name (as written, so an entry with an error is still known)."""

    def __init__(
        self,
        zone: ZoneInfo,
        teams: set[str] | None = None,
        engineers: set[str] | None = None,
        customers: set[str] | None = None,
    ) -> None:
        self.zone = zone
        self.keys = {"team": teams, "engineer": engineers, "customer number": customers}


def _ref(what: str) -> Callable[[Any, ValidationInfo], str]:
    def check(value: Any, info: ValidationInfo) -> str:
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        text = _string(text, f"a {what}").strip()
        keys = info.context.keys[what] if isinstance(info.context, Context) else None
        if keys is not None and text not in keys:
            raise ValueError(f"unknown {what} {shown(text)}")
        return text

    return check


# --- the types of the fields ----------------------------------------------------------------


def _money_json(value: Decimal) -> str:
    return f"{value:.2f}"


def _number_json(value: Decimal) -> int | str:
    """Hours and percent as the plain number (10, 7.5)."""
    plain = value.normalize()
    return int(plain) if plain == plain.to_integral_value() else str(plain)


def _wall_clock(at: datetime, info: SerializationInfo) -> str:
    return wall_clock(at, _zone_of(info))


def wall_clock(at: datetime, zone: ZoneInfo) -> str:
    """A wall-clock time in the provider's zone; with its offset only where the clock repeats."""
    local = wall(at, zone)
    spec = "minutes" if not local.second and not local.microsecond else "seconds"
    if instant(local, zone) != at:  # the second occurrence of an autumn hour
        return at.astimezone(zone).isoformat(timespec=spec)
    return local.isoformat(timespec=spec)


def _day_or_time(until: bool) -> Callable[[datetime, SerializationInfo], str]:
    """Absences: whole days as dates (`until` is the last day off), anything else as a time."""

    def write(at: datetime, info: SerializationInfo) -> str:
        zone = _zone_of(info)
        local = wall(at, zone)
        if local.time() == time() and instant(local, zone) == at:
            return (local.date() - timedelta(days=1 if until else 0)).isoformat()
        return wall_clock(at, zone)

    return write


JSON = "json"
PhoneNumber = Annotated[
    str, BeforeValidator(_phone), PlainSerializer(international, when_used=JSON)
]
Block = Annotated[str, BeforeValidator(_block)]
Email = Annotated[str, BeforeValidator(_email)]
Digits = Annotated[str, BeforeValidator(_digits)]
Bool = Annotated[bool, BeforeValidator(_bool)]
Instant = Annotated[
    datetime, BeforeValidator(_instant), PlainSerializer(_wall_clock, when_used=JSON)
]
Day = Annotated[date, BeforeValidator(_date)]
Month = Annotated[str, BeforeValidator(_month)]
Layer = Annotated[str, BeforeValidator(_choice(LAYERS))]
TeamRef = Annotated[str, BeforeValidator(_ref("team"))]
EngineerRef = Annotated[str, BeforeValidator(_ref("engineer"))]
CustomerRef = Annotated[str, BeforeValidator(_ref("customer number"))]
Region = Annotated[str, BeforeValidator(_region)]


class DeprecatedKey(FutureWarning):
    """A key old directory files have, read for them and dropped: the import still succeeds."""


def _policy(value: Any) -> Any:
    """A policy as escalation/chain.py reads it, stored as given but for the deprecated
    `window`: the expected emergency duration is one setting, `settings.emergency_minutes` (a
    contract's for its customer), which the chain's `fewest-displaced` order uses as well."""
    policy = _rule(parse_policy)(value)
    if not isinstance(policy, Mapping) or "window" not in policy:
        return policy
    warnings.warn(
        f"policy window {shown(policy['window'])} is no longer read and is dropped: the "
        "fewest-displaced order counts appointments within the expected emergency duration, "
        "provider.settings.emergency_minutes (a contract's emergency_minutes for its customer)",
        DeprecatedKey,
        stacklevel=2,
    )
    return {k: v for k, v in policy.items() if k != "window"}


Policy = Annotated[dict[str, Any], BeforeValidator(_policy)]


def Money(column: Any) -> Any:  # noqa: N802 - a type
    return Annotated[
        Decimal, BeforeValidator(_amount(column)), PlainSerializer(_money_json, when_used=JSON)
    ]


def Number(column: Any) -> Any:  # noqa: N802 - a type
    return Annotated[
        Decimal, BeforeValidator(_amount(column)), PlainSerializer(_number_json, when_used=JSON)
    ]


def Minutes(low: int = 0, high: int = 24 * 60) -> Any:  # noqa: N802 - a type
    return Annotated[int, BeforeValidator(_minutes(low, high))]


# --- entries --------------------------------------------------------------------------------


class Entry(BaseModel):
    """An entry of the file: unknown fields are errors (a typo never passes silently), and a
    field written empty (`name:` or `name: ""`) counts as not given."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=False)

    @model_validator(mode="before")
    @classmethod
    def _absent(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        names = {field.alias or name for name, field in cls.model_fields.items()}
        return {
            k: v
            for k, v in data.items()
            if not (k in names and (v is None or (isinstance(v, str) and v == "")))
        }


def _order(entry: Any, field: str) -> Any:
    """An end after its start; the error names the end."""
    if entry.ends_at <= entry.starts_at:
        raise ValidationError.from_exception_data(
            type(entry).__name__,
            [_error((field,), "must be after the start", entry.ends_at)],
        )
    return entry


def _error(loc: tuple[str | int, ...], message: str, value: Any) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError("directory", "{message}", {"message": message}),
        loc=loc,
        input=value,
    )


class WorkingHoursSettings(Entry):
    """When appointments may be planned (escalation/slots.py)."""

    start: str = Field("08:00", description='first minute of the working day, `"HH:MM"`')
    end: str = Field("17:00", description='end of the working day, `"HH:MM"`, after `start`')
    days: list[int] = Field([0, 1, 2, 3, 4], description="working days, 0 = Monday ... 6 = Sunday")

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        for name in ("start", "end"):
            value = data.get(name)
            if value is not None and (
                not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value)
            ):
                raise ValueError(f"{name} {shown(value)}: expected HH:MM, e.g. 08:00")
        days = data.get("days")
        if days is not None and (
            not isinstance(days, list)
            or not days
            or any(isinstance(d, bool) or d not in range(7) for d in days)
            or len(set(days)) != len(days)
        ):
            raise ValueError(f"days {shown(days)}: expected weekdays 0 (Monday) to 6, each once")
        return data

    @model_validator(mode="after")
    def _readable(self) -> WorkingHoursSettings:
        hours = WorkingHours.from_settings(self.model_dump())  # as the billing run reads them
        if hours.start >= hours.end:
            raise ValueError(f"start {self.start} must be before end {self.end}")
        return self


class Settings(Entry):
    """Planning and billing settings of the provider (docs/billing.md)."""

    emergency_minutes: Minutes(1) = Field(
        120,
        description="expected emergency duration, for the displacement check and the chain's "
        "`fewest-displaced` order; a contract's `emergency_minutes` wins for its customer",
    )
    travel_minutes: Minutes(0) = Field(
        30, description="travel to an on-site appointment after the emergency"
    )
    working_hours: WorkingHoursSettings | None = Field(
        None, description="when slots are suggested: `start`, `end` and `days` (below)"
    )
    slot_minutes: Minutes(1) = Field(
        15, description="suggested slots start on these boundaries of the working day"
    )
    dispatcher_email: Email | None = Field(
        None, description="who is told about appointments at risk; default `support_email`"
    )


def _setting_name(value: Any) -> str:
    """The name of a setting that holds a secret: never the secret itself (the file is exported,
    mailed and kept in git), and only a webhook's own setting (hotline/outbound/targets.py)."""
    text = _string(value, "the name of a setting").strip()
    if not NAME.fullmatch(text):
        raise ValueError(
            f"{shown(value)} is not the name of a setting such as {PREFIX}ZAMMAD_TOKEN: the "
            f"file names the setting ({PREFIX}..., in the environment or instance/settings.py), "
            "never the secret itself"
        )
    return text


def _events(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{shown(value)}: expected a list of events, or [all]")
    return [_choice((ALL, *EVENTS))(v) for v in value]


SettingName = Annotated[str, BeforeValidator(_setting_name)]
Events = Annotated[list[str], BeforeValidator(_events)]


class ZammadSettings(Entry):
    """How the events become Zammad tickets and articles (docs/webhooks.md)."""

    token: SettingName = Field(
        description=f"the setting that holds the Zammad API token, e.g. `{PREFIX}ZAMMAD_TOKEN`"
    )
    group: Text(m.Team.name) = Field(description="the Zammad group of the tickets, e.g. `Support`")
    default_customer: Email | None = Field(
        None,
        description="the Zammad customer (e-mail) of a caller whose customer has neither an "
        "entry in `customers` nor an e-mail address; without it, the token's user",
    )
    customers: dict[CustomerRef, Email] = Field(
        {},
        description='customer number to Zammad customer (e-mail), e.g. `{"10042": '
        '"it@mueller.example"}`; a customer not listed is found by its `email`',
    )
    internal: Bool = Field(
        True,
        description="the hotline's articles are internal notes (`false`: the customer sees them)",
    )
    close: Bool = Field(True, description="`emergency.resolved` closes the Zammad ticket")


class WebhookEntry(Entry):
    """A ticket system (or any receiver) told of every ticket's life (docs/webhooks.md)."""

    key: Text(m.Delivery.target) = Field(description="stable id, shown in the delivery log")
    url: Url = Field(
        description="where the events go; for `zammad` the Zammad base URL (`https://zammad.example.de`)"
    )
    format: Annotated[str, BeforeValidator(_choice(FORMATS))] = Field(
        "generic", description="`generic` (JSON, docs/webhooks.md) or `zammad` (its REST API)"
    )
    secret: SettingName | None = Field(
        None,
        description=f"the setting that holds the HMAC secret, e.g. `{PREFIX}CRM_SECRET`; "
        "required for `generic`, optional for `zammad` (its token authenticates)",
    )
    events: Events = Field(
        [ALL],
        description=f"what it is told: `all` or some of {', '.join(f'`{e}`' for e in EVENTS)}",
    )
    zammad: ZammadSettings | None = Field(
        None, description="required for `zammad`: `provider.webhooks[].zammad` below"
    )

    def takes(self, event: str) -> bool:
        return ALL in self.events or event in self.events

    @model_validator(mode="after")
    def _complete(self) -> WebhookEntry:
        if self.format == "generic" and self.secret is None:
            raise ValueError("a generic webhook needs a secret: its receiver checks the signature")
        if self.format == "zammad" and self.zammad is None:
            raise ValueError("a zammad webhook needs its zammad settings (token, group)")
        if self.format != "zammad" and self.zammad is not None:
            raise ValueError("zammad settings belong to a webhook of format zammad")
        return self


class ProviderEntry(Entry):
    name: Text(m.Provider.name) = Field(description="the provider's name")
    central_number: PhoneNumber | None = Field(
        None, description="the Twilio number customers call (Zentrale)"
    )
    fallback_number: PhoneNumber = Field(
        description="last resort, dialled when everything else fails"
    )
    office_number: PhoneNumber | None = Field(
        None,
        description="the office line; unidentified callers are referred to it when "
        "`HOTLINE_UNIDENTIFIED=refer`",
    )
    support_email: Email | None = Field(
        None, description="the support mailbox named to callers with a normal request"
    )
    blocked_numbers: list[Block] = Field(
        default_factory=list,
        description="numbers and blocks (prefixes) whose calls are refused with a short word "
        "and ring nobody: a known nuisance caller, a robocall range",
    )
    timezone: Annotated[str, BeforeValidator(zone_name)] = Field(
        DEFAULT_ZONE,
        description="the provider's zone: where wall-clock times of the file, of the rota, of "
        "working hours and of every `--at` live, and how times are shown",
    )
    holiday_region: Region = Field(
        regions.DEFAULT,
        description="where public holidays are kept: a state code or a sub-region, see "
        "Holiday regions",
    )
    policy: Policy | None = Field(
        None,
        description="the default escalation policy of all teams (levels, order, timeout), see "
        "docs/rota.md",
    )
    settings: Settings | None = Field(
        None, description="planning and billing settings, `provider.settings` below"
    )
    webhooks: Annotated[list[WebhookEntry], _section("key")] = Field(
        [],
        description="the ticket systems told of every ticket's life, `provider.webhooks` below "
        "(docs/webhooks.md)",
    )


class TeamEntry(Entry):
    key: Text(m.Team.key) = Field(description="stable id, e.g. `blau`")
    name: Text(m.Team.name) = Field(description="shown name")
    project_lead: EngineerRef | None = Field(
        None, description="an engineer key: the team's Projektleiter (last person in the chain)"
    )
    policy: Policy | None = Field(
        None, description="the team's escalation policy, over the provider's, see docs/rota.md"
    )
    holiday_region: Region | None = Field(
        None, description="the team's own holiday region; default the provider's"
    )


class EngineerEntry(Entry):
    key: Text(m.Engineer.key) = Field(description="stable id, e.g. `anna`")
    name: Text(m.Engineer.name) = Field(description="full name")
    team: TeamRef | None = Field(None, description="a team key")
    role: Annotated[str, BeforeValidator(_choice(ROLES))] = Field(
        "consultant", description="`project_lead` or `consultant`"
    )
    mobile: PhoneNumber | None = Field(
        None,
        description="the number rung in an emergency, first of the engineer's phones, and the "
        "one every SMS goes to (stored as E.164)",
    )
    phones: list[EngineerPhoneEntry] = Field(
        [],
        description="further phones after the mobile, in the order they are rung: "
        "`[{number: ..., label: Festnetz}]`; only a policy level with `phones: all` rings them "
        "(docs/rota.md), SMS never go there",
    )
    email: Email | None = Field(None, description="e-mail address")
    active: Bool = Field(True, description="`false` keeps the engineer but never rings them")

    @model_validator(mode="after")
    def _phones_once(self) -> EngineerEntry:
        """Each number once, none the mobile (escalation/chain.py `parse_phones`)."""
        parse_phones([p.model_dump() for p in self.phones], self.mobile)
        return self


class EngineerPhoneEntry(Entry):
    number: PhoneNumber = Field(description="the number (stored as E.164)")
    label: Annotated[str, BeforeValidator(_text(Phone.LABEL))] | None = Field(
        None, description="what it is, e.g. `Festnetz`"
    )

    @model_validator(mode="after")
    def _dialable(self) -> EngineerPhoneEntry:
        Phone.parse(self.model_dump(exclude_none=True))
        return self


class PhoneEntry(Entry):
    number: PhoneNumber | None = Field(None, description="an exact number")
    block: Block | None = Field(
        None, description="a number block: every number that starts with it"
    )
    label: Text(m.Phone.label) | None = Field(None, description="e.g. `Empfang`")

    @model_validator(mode="before")
    @classmethod
    def _one(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or ("number" in data) == ("block" in data):
            raise ValueError("expected a mapping with either number or block")
        return data

    @property
    def kind(self) -> str:
        return "number" if self.number is not None else "block"


class QuotaStep(Entry):
    since: Month = Field(description='the first month of this quota, `"2026-01"` (quote it)')
    hours: Number(m.Contract.monthly_hours) = Field(
        description="hour quota per month from that month on"
    )


class ContractEntry(Entry):
    monthly_hours: Number(m.Contract.monthly_hours) = Field(
        Decimal(0), description="hour quota (Stundenkontingent) per month"
    )
    hourly_rate: Money(m.Contract.hourly_rate) = Field(
        Decimal(0), description='EUR per hour, e.g. `"120.00"`'
    )
    billing_increment_minutes: Minutes() = Field(
        15, description="time is billed per started increment"
    )
    minimum_minutes: Minutes() = Field(0, description="minimum billed per emergency")
    surcharge_percent: Number(m.Contract.surcharge_percent) = Field(
        Decimal(0),
        description="§2 surcharge on the emergency's amount when appointments were displaced",
    )
    surcharge_flat: Money(m.Contract.surcharge_flat) = Field(
        Decimal(0), description="§2 flat surcharge in EUR (with or instead of the percentage)"
    )
    emergency_minutes: Minutes() | None = Field(
        None,
        description="expected emergency duration of this customer's emergencies, for the "
        "displacement check and the chain's `fewest-displaced` order; default the provider's "
        "`settings.emergency_minutes`",
    )
    quota_history: list[QuotaStep] = Field(
        [],
        description='how the quota changed: `[{since: "2026-01", hours: 30}, {since: '
        '"2026-07", hours: 20}]`, oldest first; each month is billed with the latest step '
        "begun by then, a month before the first step with `monthly_hours`",
    )

    @model_validator(mode="after")
    def _steps_in_order(self) -> ContractEntry:
        months = [step.since for step in self.quota_history]
        if months != sorted(set(months)):
            raise ValueError("quota_history: the months must be in order, each once")
        return self

    @field_serializer("quota_history")
    def _steps(self, steps: list[Any]) -> list[dict[str, Any]]:
        """As the database keeps it and the file writes it: `{since: "2026-01", hours: 30}`
        (an export builds the entry from the stored dicts, an import from QuotaSteps)."""
        return [
            {"since": s["since"], "hours": s["hours"]}
            if isinstance(s, Mapping)
            else {"since": s.since, "hours": _number_json(s.hours)}
            for s in steps
        ]


def _section(*identity: str, name: str | None = None) -> WrapValidator:
    """A list of entries in which `identity` (a field, or how to compute it) is unique.

    Duplicates are found on the raw entries, each identity checked by its own field's rule, so
    an entry with another error is still compared; an entry's errors and the duplicates are
    reported together.
    """

    def check(value: Any, handler: Callable[[Any], Any], info: ValidationInfo) -> Any:
        errors: list[InitErrorDetails] = []
        try:
            result = handler(value)
        except ValidationError as exc:
            errors.extend(_reraised(exc))
            result = None
        if isinstance(value, list):
            errors.extend(_duplicates(value, identity, name or identity[0], info))
        if errors:
            raise ValidationError.from_exception_data("duplicates", errors)
        return result

    return WrapValidator(check)


def _reraised(exc: ValidationError) -> list[InitErrorDetails]:
    """An inner ValidationError's errors as they are, to raise again with more of their kind."""
    return [
        InitErrorDetails(type=e["type"], loc=tuple(e["loc"]), input=e.get("input"))
        | ({"ctx": e["ctx"]} if "ctx" in e else {})
        if e["type"] != "directory"
        else _error(tuple(e["loc"]), e["msg"], e.get("input"))
        for e in exc.errors()
    ]


def _duplicates(
    items: list[Any], identity: tuple[str, ...], name: str, info: ValidationInfo
) -> list[InitErrorDetails]:
    seen: dict[Any, int] = {}
    found = []
    section = info.field_name or ""
    for index, item in enumerate(items):
        value = _identity(item, identity, info)
        if value is None:
            continue
        field, key = value
        if key in seen:
            first = seen[key]
            also = entry_name(section, first, items[first])
            found.append(
                _error((index, field), f"duplicate {name} {shown(key[-1])} (also {also})", key)
            )
        else:
            seen[key] = index
    return found


IDENTITY = {"teams": "key", "engineers": "key", "customers": "number", "appointments": "key"}


def entry_name(section: str, index: int, item: Any) -> str:
    """How an error names an entry: `customers[3] (10042)`."""
    where = f"{section}[{index}]"
    ident = item.get(IDENTITY.get(section, "")) if isinstance(item, Mapping) else None
    if ident is None or isinstance(ident, Mapping | list):
        return where
    text = str(ident)
    return f"{where} ({shown(text, 100)[1:-1]})"


def _identity(
    item: Any, identity: tuple[str, ...], info: ValidationInfo
) -> tuple[str, tuple[Any, ...]] | None:
    """(the field to blame, the identity) of a raw entry; None when it has none to compare."""
    if not isinstance(item, Mapping):
        return None
    try:
        if identity == ("rotation",):  # the key, by default "<team>-<layer>"
            if item.get("key") not in (None, ""):
                return "key", (_text(m.Rotation.key.type.length)(item["key"]),)
            team = _string(item.get("team")).strip()
            layer = item.get("layer") or "primary"
            return "key", (f"{team}-{_choice(LAYERS)(layer)}",)
        if identity == ("phone",):
            if "number" in item:
                return "number", (_phone(item["number"]),)
            return "block", (_block(item.get("block")),)
        field = identity[0]
        check = _digits if field == "number" else _text(200)
        return field, (check(item.get(field)),)
    except ValueError:
        return None  # its own error says why


Phones = Annotated[list[PhoneEntry], _section("phone", name="number")]


def _weekday(value: Any) -> int:
    try:
        return jourfixe.weekday(value)
    except ValueError as exc:
        raise ValueError(f"{shown(value)}: {exc}") from None


def _clock(value: Any) -> str:
    """A wall-clock time "HH:MM"; YAML reads an unquoted 10:00 as the number 600."""
    if not isinstance(value, str):
        raise ValueError(f'{shown(value)}: write the time in quotes, e.g. "10:00"')
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value.strip()):
        raise ValueError(f"{shown(value)}: expected HH:MM, e.g. 10:00")
    return f"{time.fromisoformat(value.strip().zfill(5)):%H:%M}"


def _weeks(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 52:
        raise ValueError(f"{shown(value)} is not a number of weeks (1 to 52)")
    return value


Weekday = Annotated[
    int, BeforeValidator(_weekday), PlainSerializer(lambda d: WEEKDAYS[d], when_used=JSON)
]
MAX_RECIPIENTS = 10


class JourFixeEntry(Entry):
    """A customer's JourFixe rhythm (escalation/jourfixe.py), wall-clock time of the provider."""

    weekday: Weekday = Field(description="`Mon` ... `Sun`")
    at: Annotated[str, BeforeValidator(_clock)] = Field(
        alias="time", description='when it begins, `"10:00"` (quote it)'
    )
    every_weeks: Annotated[int, BeforeValidator(_weeks)] = Field(
        1, description="`1` every week, `2` every second week ..."
    )
    start: Day = Field(
        description="the first JourFixe is the first `weekday` on or after this date; it "
        "sets which weeks of an `every_weeks` rhythm it falls in"
    )
    minutes: Minutes(1) = Field(
        120, description="how long it lasts: the status e-mail goes out after its end"
    )


def _recipients(value: Any) -> Any:
    if isinstance(value, list) and len(value) > MAX_RECIPIENTS:
        raise ValueError(f"at most {MAX_RECIPIENTS} addresses")
    return value


Recipients = Annotated[list[Email], BeforeValidator(_recipients)]


class CustomerEntry(Entry):
    number: Digits = Field(description="the customer number (Kundennummer), digits")
    name: Text(m.Customer.name) = Field(
        description="as the caller is greeted; `&`, `<` and umlauts are fine"
    )
    team: TeamRef = Field(description="the team key that looks after the customer")
    contact: EngineerRef | None = Field(
        None, description="an engineer key: the fixed contact (fester Ansprechpartner)"
    )
    language: Annotated[str, BeforeValidator(_choice(LANGUAGES))] = Field(
        "de", description="`de` or `en`: what the caller hears"
    )
    pin: Digits | None = Field(
        None, description="digits; when set, a caller identified by keypad must also type it"
    )
    email: Email | None = Field(
        None,
        description="the customer's address for notices (rescheduled appointments, status e-mail)",
    )
    sms_number: PhoneNumber | None = Field(
        None, description="a mobile for SMS notices to the customer"
    )
    documentation_url: Url | None = Field(
        None,
        description="the customer's IT documentation: sent to the engineer who accepts "
        "an emergency, shown on the ticket to the engineers of its chain",
    )
    emergency_notes: Notes | None = Field(
        None,
        description="short notes for an emergency (access, critical systems, who may "
        "decide); several lines; seen only by the engineers of the chain",
    )
    phones: Phones = Field(
        [], description="list of `{number: ..., label: ...}` or `{block: ..., label: ...}`"
    )
    contract: ContractEntry | None = Field(
        None,
        description="the service contract's billing terms, below; without it the customer has none",
    )
    project_lead: EngineerRef | None = Field(
        None,
        description="an engineer key: the project lead who sends the status e-mail (it comes "
        "from the hotline's address under their name, answers go to them); default the "
        "team's `project_lead`",
    )
    status_recipients: Recipients = Field(
        [],
        description=f"addresses of the status e-mail (at most {MAX_RECIPIENTS}); default `email`",
    )
    jourfixe: JourFixeEntry | None = Field(
        None,
        description="the JourFixe rhythm, below: a status e-mail goes out after each one "
        "(docs/jourfixe.md)",
    )
    gl_jourfixe: list[Instant] = Field(
        [],
        description="the GL-JourFixe dates (with the management, about every six months), "
        '`["2026-06-16T10:00", "2026-12-15T10:00"]`',
    )

    @model_validator(mode="after")
    def _status(self) -> CustomerEntry:
        if len(set(self.gl_jourfixe)) != len(self.gl_jourfixe):
            raise ValueError("gl_jourfixe: each date once")
        if len(", ".join(self.status_recipients)) > m.Message.to.type.length:
            raise ValueError(
                f"status_recipients: longer than {m.Message.to.type.length} characters together"
            )
        return self


class RotationEntry(Entry):
    key: Text(m.Rotation.key) | None = Field(
        None,
        description="stable id; default `<team>-<layer>` (so give a key when a team has two "
        "rotations in one layer)",
    )
    team: TeamRef = Field(description="a team key")
    layer: Layer = Field("primary", description="`primary` or `secondary`")
    members: list[EngineerRef] = Field(description="engineer keys in rotation order")
    shift: Annotated[str, BeforeValidator(_rule(parse_shift, m.Rotation.shift))] = Field(
        "1w", description="`12h`, `1d`, `1w`, `2w` ..."
    )
    handoff: Annotated[str, BeforeValidator(_rule(parse_handoff, m.Rotation.handoff))] = Field(
        "Mon 08:00",
        description='wall-clock hand-off, `"Mon 08:00"` or `"08:00"`; quote it',
    )
    start: Day = Field(description="the date of the first hand-off")
    restriction: Annotated[dict[str, Any], BeforeValidator(_rule(parse_restriction))] | None = (
        Field(
            None,
            description="`{when: business_hours | after_hours, days: [Mon, ...], hours: "
            '"08:00-17:00"}`',
        )
    )

    @model_validator(mode="before")
    @classmethod
    def _members(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            members = data.get("members")
            if members is not None and (not isinstance(members, list) or not members):
                raise ValidationError.from_exception_data(
                    cls.__name__,
                    [_error(("members",), "expected a list of engineer keys", members)],
                )
        return data

    @model_validator(mode="after")
    def _default_key(self) -> RotationEntry:
        if self.key is None:
            self.key = f"{self.team}-{self.layer}"
        return self


class OverrideEntry(Entry):
    engineer: EngineerRef = Field(description="the engineer on call instead")
    replaces: EngineerRef | None = Field(
        None, description="an engineer key; without it the engineer is added"
    )
    team: TeamRef = Field(description="a team key")
    layer: Layer = Field("primary", description="`primary` or `secondary`")
    starts_at: Instant = Field(alias="from", description="a time")
    ends_at: Instant = Field(alias="until", description="a time after `from`")

    @model_validator(mode="after")
    def _after(self) -> OverrideEntry:
        return _order(self, "until")


class AbsenceEntry(Entry):
    engineer: EngineerRef = Field(description="an engineer key")
    starts_at: Annotated[
        datetime,
        BeforeValidator(_day(False)),
        PlainSerializer(_day_or_time(False), when_used=JSON),
    ] = Field(alias="from", description="a date (from its 00:00) or a time")
    ends_at: Annotated[
        datetime,
        BeforeValidator(_day(True)),
        PlainSerializer(_day_or_time(True), when_used=JSON),
    ] = Field(alias="until", description="a date (the last day off) or a time")
    reason: Text(m.Absence.reason) | None = Field(None, description="e.g. `vacation`, `sick`")

    @model_validator(mode="after")
    def _after(self) -> AbsenceEntry:
        return _order(self, "until")


class AppointmentEntry(Entry):
    key: Text(m.Appointment.key) = Field(description="stable id from the source calendar")
    engineer: EngineerRef = Field(description="an engineer key")
    customer: CustomerRef | None = Field(None, description="a customer number (quote it)")
    starts_at: Instant = Field(alias="start", description="a time")
    ends_at: Instant = Field(alias="end", description="a time after `start`")
    title: Text(m.Appointment.title) | None = Field(None, description="e.g. `JourFixe vor Ort`")
    onsite: Bool = Field(
        False, description="`true` for an appointment at the customer's site (travel counts)"
    )

    @model_validator(mode="after")
    def _after(self) -> AppointmentEntry:
        return _order(self, "end")


class Directory(Entry):
    """A provider's whole setup (design/directory-format.md)."""

    provider: ProviderEntry = Field(description="the provider; required")
    teams: Annotated[list[TeamEntry], _section("key")] = []
    engineers: Annotated[list[EngineerEntry], _section("key")] = []
    customers: Annotated[list[CustomerEntry], _section("number")] = []
    rotations: Annotated[list[RotationEntry], _section("rotation", name="key")] = []
    overrides: list[OverrideEntry] = []
    absences: list[AbsenceEntry] = []
    appointments: Annotated[list[AppointmentEntry], _section("key")] = []


SECTIONS = tuple(Directory.model_fields)


# --- what the schema says, for error messages and the docs ----------------------------------


def _unwrap(annotation: Any) -> Any:
    """The model inside `X | None`, `list[X]` and `Annotated[X, ...]`, else None."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        elif origin is list:
            annotation = get_args(annotation)[0]
        else:
            break
    return annotation if isinstance(annotation, type) and issubclass(annotation, Entry) else None


def model_at(loc: tuple[str | int, ...]) -> type[Entry] | None:
    """The entry model that holds the field at `loc` (a pydantic error's location)."""
    model: type[Entry] | None = Directory
    for part in loc[:-1]:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        model = _unwrap(field.annotation) if field else None
    return model


def file_names(model: type[Entry]) -> list[str]:
    """The fields of an entry as the file writes them."""
    return [field.alias or name for name, field in model.model_fields.items()]
