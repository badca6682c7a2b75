"""What an import may not do: the file cannot fool the schema, and nothing it accepts fails later.

Each test goes through the public import (a file, or data as `seed-demo` gives it) and would
pass a file the old reader took.
"""

from __future__ import annotations

import copy
import email.message
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
import yaml
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from test_directory import EXAMPLE, count

from hotline import appointments, db
from hotline.directory import DirectoryError, dump, export_directory, import_directory, import_file
from hotline.directory.read import checked, load
from hotline.directory.schema import DeprecatedKey
from hotline.models import Customer, Provider, Team


@pytest.fixture
def example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE)


def refused(session: Any, data: Any) -> list[str]:
    with pytest.raises(DirectoryError) as caught:
        import_directory(session, data)
    assert count(session, Customer) == 0
    return caught.value.errors


def read_refused(data: Any) -> list[str]:
    """The reading stage alone (no database): for the long tables of cases."""
    with pytest.raises(DirectoryError) as caught:
        checked(data)
    return caught.value.errors


def file_refused(session: Any, path: Path) -> list[str]:
    with pytest.raises(DirectoryError) as caught:
        import_file(session, path)
    return caught.value.errors


def put(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    *parents, name = path
    item = data
    for step in parents:
        item = item[step]
    item[name] = value
    return data


# --- control characters --------------------------------------------------------------------

TEXTS = [
    (("provider", "name"), "provider.name"),
    (("teams", 0, "name"), "teams[0] (blau).name"),
    (("engineers", 1, "name"), "engineers[1] (jonas).name"),
    (("engineers", 0, "email"), "engineers[0] (anna).email"),
    (("customers", 0, "name"), "customers[0] (10042).name"),
    (("customers", 0, "phones", 0, "label"), "customers[0] (10042).phones[0].label"),
    (("customers", 0, "phones", 0, "number"), "customers[0] (10042).phones[0].number"),
    (("absences", 0, "reason"), "absences[0].reason"),
    (("appointments", 0, "title"), "appointments[0] (apt-2026-1201-jonas-1).title"),
    (("rotations", 0, "handoff"), "rotations[0].handoff"),
]
BAD = [
    ("\v", "U+000B"),
    ("\n", "U+000A"),
    ("\t", "U+0009"),
    ("\x00", "U+0000"),
    ("\x1b[31m", "U+001B"),
    ("\x85", "U+0085"),
    ("\x9b", "U+009B"),
    ("\u2028", "U+2028"),
    ("\ud800", "U+D800"),
    ("\ufffe", "U+FFFE"),
    ("\uffff", "U+FFFF"),
]


@pytest.mark.parametrize(("path", "where"), TEXTS)
@pytest.mark.parametrize(("char", "code"), BAD)
def test_control_characters_are_refused_in_every_text(
    example: dict[str, Any], path: tuple[Any, ...], where: str, char: str, code: str
) -> None:
    """A vertical tab in a name made every call of that customer ill-formed TwiML; a line
    break made every e-mail to them fail; NUL and lone surrogates fail on PostgreSQL."""
    old = example
    for step in path:
        old = old[step]
    errors = read_refused(put(example, path, f"{old[:3]}{char}{old[3:]}"))
    assert any(e.startswith(f"{where}: contains {code}") for e in errors), errors
    assert char[0] not in "".join(errors), errors  # never printed raw to the terminal


def test_control_characters_in_free_form_parts_and_field_names(example: dict[str, Any]) -> None:
    example["teams"][0]["policy"] = {"window": "2h\v"}
    example["customers"][1]["na\x1bme"] = "x"
    errors = read_refused(example)
    assert "teams[0] (blau).policy.window: contains U+000B (vertical tab) at position 3: " in (
        "\n".join(errors)
    )
    assert any(
        e.startswith('customers[1] (10077)."na\\x1bme": the field name contains') for e in errors
    )
    assert not any("\x1b" in e for e in errors)


def test_the_example_of_the_issue_in_a_file(session: Any, tmp_path: Path) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(
        EXAMPLE.replace("Müller Maschinenbau GmbH", '"Müller & Söhne\\vMaschinenbau"'),
        encoding="utf-8",
    )
    errors = file_refused(session, path)
    assert errors == [
        "customers[0] (10042).name: contains U+000B (vertical tab) at position 15: only "
        "printable text is allowed"
    ]


def test_customer_numbers_and_pins_are_keypad_digits(session: Any, example: dict[str, Any]) -> None:
    """`\\d` matched Arabic-Indic and fullwidth digits: a number no caller can type."""
    example["customers"][1]["number"] = "١٠٠٧٧"
    example["customers"][0]["pin"] = "４７１１"
    example["appointments"] = []
    errors = refused(session, example)
    assert any(e.startswith('customers[1] (١٠٠٧٧).number: "١٠٠٧٧" must be digits') for e in errors)
    assert any(e.startswith('customers[0] (10042).pin: "４７１１" must be digits') for e in errors)


# --- the YAML file ---------------------------------------------------------------------------


def test_a_duplicate_key_is_an_error(session: Any, tmp_path: Path) -> None:
    """A second `fallback_number:` silently won: the last resort of every call changed."""
    path = tmp_path / "directory.yaml"
    path.write_text(
        EXAMPLE.replace(
            "  support_email: support@example.de\n",
            '  support_email: support@example.de\n  fallback_number: "+49 171 9999999"\n',
        ),
        encoding="utf-8",
    )
    errors = file_refused(session, path)
    assert len(errors) == 1
    assert "line 7, column 3: duplicate key 'fallback_number' (first at line 5)" in errors[0]
    assert count(session, Provider) == 0


def test_merge_keys_may_be_overridden(session: Any, tmp_path: Path) -> None:
    """`<<: *base` then a key of its own is no duplicate: YAML says the own key wins."""
    path = tmp_path / "directory.yaml"
    path.write_text(
        EXAMPLE.replace(
            "    contract:\n      monthly_hours: 10\n",
            "    contract: &standard\n      monthly_hours: 10\n",
        ).replace(
            "    language: en\n",
            "    language: en\n    contract:\n      <<: *standard\n      monthly_hours: 5\n",
        ),
        encoding="utf-8",
    )
    import_file(session, path)
    contract = session.scalars(select(Customer).where(Customer.number == "10077")).one().contract
    assert (contract.monthly_hours, str(contract.hourly_rate)) == (5, "120.00")


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghijklmnop"
    for before, name in zip(names, names[1:levels], strict=False):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{before}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def peak_memory(run: Any) -> int:
    tracemalloc.start()
    try:
        run()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_an_alias_bomb_is_refused_cheaply(session: Any, tmp_path: Path) -> None:
    """600 bytes that expand to 9**9 values took 5-6 GB and a minute: now refused after
    composing a few dozen nodes, in well under a megabyte."""
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    assert path.stat().st_size < 700
    errors: list[str] = []
    peak = peak_memory(lambda: errors.extend(file_refused(session, path)))
    assert peak < 1_000_000, peak
    assert errors == [f"{path}: line 1, column 1: the aliases expand to more than 1,000,000 values"]


def test_many_aliases_are_refused(session: Any, tmp_path: Path) -> None:
    path = tmp_path / "aliases.yaml"
    path.write_text("a: &a [1]\nb: [" + ", ".join(["*a"] * 101) + "]\n", encoding="utf-8")
    (error,) = file_refused(session, path)
    assert "more than 100 aliases" in error


def test_a_large_file_is_refused_before_it_is_read(session: Any, tmp_path: Path) -> None:
    """A 32 MB file took 2.4 GB; now nothing beyond the limit is read."""
    path = tmp_path / "big.yaml"
    with path.open("wb") as file:
        file.truncate(32 * 1024 * 1024)
    errors: list[str] = []
    peak = peak_memory(lambda: errors.extend(file_refused(session, path)))
    assert peak < 3 * 1024 * 1024, peak
    assert errors == [f"{path}: larger than 2 MB: not a directory file"]


def test_deep_nesting_is_an_error_not_a_recursion_error(session: Any, tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("provider: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    (error,) = file_refused(session, path)
    assert "nested more than 20 levels deep" in error


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (EXAMPLE.replace('start: "2026-11-02"', "start: 2026-02-30"), "rotations[0].start: "),
        ("provider: {name: x}\n".encode("latin-1") + "Müller".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unreadable_values_are_errors_not_tracebacks(
    session: Any, tmp_path: Path, text: str | bytes, error: str
) -> None:
    path = tmp_path / "directory.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    errors = file_refused(session, path)
    assert any(error in e for e in errors), errors


# --- settings: nothing the import accepts fails a later run ---------------------------------


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"emergency_minutes": "abc"}, 'provider.settings.emergency_minutes: "abc" is not a'),
        ({"emergency_minutes": True}, "provider.settings.emergency_minutes: "),
        ({"travel_minutes": -5}, "provider.settings.travel_minutes: "),
        ({"slot_minutes": 0}, "provider.settings.slot_minutes: "),
        ({"working_hours": {"start": "8am"}}, 'provider.settings.working_hours: start "8am"'),
        ({"working_hours": {"end": "24:00"}}, "provider.settings.working_hours: end"),
        ({"working_hours": {"start": "18:00"}}, "provider.settings.working_hours: start 18:00"),
        ({"working_hours": {"days": "01234"}}, "provider.settings.working_hours: days"),
        ({"working_hours": {"days": [0, 7]}}, "provider.settings.working_hours: days"),
        ({"working_hours": {"hours": "8-17"}}, "provider.settings.working_hours.hours: unknown"),
        ({"dispatcher_email": "nobody"}, "provider.settings.dispatcher_email: "),
        ({"emergency_minute": 90}, "provider.settings.emergency_minute: unknown field"),
        ("all", "provider.settings: expected a mapping"),
    ],
)
def test_settings_are_checked_at_import(
    session: Any, example: dict[str, Any], settings: Any, error: str
) -> None:
    """`emergency_minutes: abc` imported, then the displacement check raised; `start: 8am`
    imported, then the month-end billing run raised."""
    example["provider"]["settings"] = settings
    errors = refused(session, example)
    assert any(e.startswith(error) for e in errors), errors


def test_accepted_settings_are_read_by_the_later_runs(
    app: Flask, session: Any, example: dict[str, Any]
) -> None:
    example["provider"]["settings"] = {
        "emergency_minutes": 90,
        "working_hours": {"start": "07:30", "days": [0, 1, 2, 3, 4, 5]},
        "dispatcher_email": "dispo@example.de",
    }
    import_directory(session, example)
    plan = appointments.planning(session)
    assert (plan.emergency.seconds, plan.hours.start.hour, plan.hours.end.hour) == (5400, 7, 17)
    assert plan.hours.days == frozenset(range(6)) and plan.dispatcher == "dispo@example.de"
    exported = export_directory(session)
    assert exported["provider"]["settings"] == example["provider"]["settings"]
    assert not import_directory(session, exported).changed


# --- holiday regions --------------------------------------------------------------------------


def test_holiday_regions_are_ours_and_listed(session: Any, example: dict[str, Any]) -> None:
    """`holiday_region: Augsburg` was accepted whenever the installed package knew it."""
    example["provider"]["holiday_region"] = "Augsburg"
    example["teams"][1]["holiday_region"] = "Bayern"
    errors = refused(session, example)
    assert any(
        e.startswith('provider.holiday_region: "Augsburg" is not a holiday region; one of BB, BE')
        and "BY-Augsburg" in e
        for e in errors
    ), errors
    assert any(e.startswith('teams[1] (gruen).holiday_region: "Bayern" is not') for e in errors)


def test_sub_regions_are_stored_and_exported(session: Any, example: dict[str, Any]) -> None:
    example["provider"]["holiday_region"] = "BY-Augsburg"
    example["teams"][1]["holiday_region"] = "SN-catholic"
    import_directory(session, example)
    assert session.scalars(select(Provider.holiday_region)).one() == "BY-Augsburg"
    gruen = session.scalars(select(Team).where(Team.key == "gruen")).one()
    assert gruen.holiday_region == "SN-catholic"
    exported = export_directory(session)
    assert exported["provider"]["holiday_region"] == "BY-Augsburg"
    assert exported["teams"][1] == {
        "key": "gruen",
        "name": "Team Grün",
        "holiday_region": "SN-catholic",
    }
    assert not import_directory(session, exported).changed


# --- export -> import -------------------------------------------------------------------------


def test_everything_the_schema_knows_round_trips(session: Any, example: dict[str, Any]) -> None:
    example["provider"] |= {
        "office_number": "030 9876541",
        "policy": {"levels": ["own-primary", "fallback"], "timeout": 20},
        "settings": {"travel_minutes": 45, "working_hours": {"end": "18:00"}},
    }
    example["teams"][0]["policy"] = {"order": "round-robin"}
    example["engineers"][1] |= {"email": "jonas@example.de", "active": False}
    example["customers"][0] |= {"email": "it@mueller.example", "sms_number": "0171 1112223"}
    example["customers"][0]["contract"] |= {
        "minimum_minutes": 30,
        "emergency_minutes": 180,
        "monthly_hours": "7.5",
        "surcharge_flat": "25.5",
    }
    example["rotations"].append(
        {
            "key": "blau-day",
            "team": "blau",
            "members": ["anna"],
            "shift": "1d",
            "handoff": "08:00",
            "start": "2026-11-02",
            "restriction": {"when": "business_hours", "hours": "08:00-16:00"},
        }
    )
    example["absences"].append(
        {"engineer": "anna", "from": "2026-12-01T12:30", "until": "2026-12-01T15:00"}
    )
    import_directory(session, example)
    exported = export_directory(session)
    assert exported["customers"][0]["contract"] == {
        "monthly_hours": "7.5",
        "hourly_rate": "120.00",
        "billing_increment_minutes": 15,
        "minimum_minutes": 30,
        "surcharge_percent": 50,
        "surcharge_flat": "25.50",
        "emergency_minutes": 180,
    }
    assert exported["engineers"][1]["active"] is False and "active" not in exported["engineers"][0]
    text = dump(exported)
    assert not import_directory(session, yaml.safe_load(text)).changed
    assert export_directory(session) == exported
    assert dump(export_directory(session)) == text


# --- arbitrary text ---------------------------------------------------------------------------

FREE_TEXTS = [
    ("provider", "name"),
    ("teams", 0, "name"),
    ("engineers", 0, "name"),
    ("customers", 0, "name"),
    ("customers", 1, "name"),
    ("customers", 0, "phones", 0, "label"),
    ("absences", 0, "reason"),
    ("appointments", 0, "title"),
    ("appointments", 0, "key"),
    ("customers", 0, "email"),
]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    field=st.sampled_from(FREE_TEXTS),
    text=st.text(st.characters(exclude_categories=()), max_size=40)
    | st.text(st.characters(max_codepoint=0x1F) | st.sampled_from("aä &<>\"'\\:#-"), max_size=8),
)
def test_any_text_imports_and_round_trips_or_is_refused_by_name(
    app: Flask, field: tuple[Any, ...], text: str
) -> None:
    """Arbitrary Unicode, through the YAML file as a provider would write it: either it comes
    back from export as the file says it (stripped), safe in TwiML (expat) and in a mail header, or
    the import names the field. Never a traceback."""
    data = put(yaml.safe_load(EXAMPLE), field, text)
    path = Path(app.instance_path) / "fuzz.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(data), encoding="utf-8")
    with app.app_context():
        session = db.session()
        try:
            import_file(session, path)
        except DirectoryError as exc:
            section = str(field[0])
            assert any(e.startswith(section) and f".{field[-1]}" in e for e in exc.errors) or any(
                e.startswith(f"{section}: ") for e in exc.errors
            ), (field, text, exc.errors)
            return
        exported = export_directory(session)
        if field[0] == "appointments":  # appointments are kept: find this one by its key
            key = data["appointments"][0]["key"].strip()
            value = next(a for a in exported["appointments"] if a["key"] == key).get(field[-1])
        else:
            value = exported
            for step in field[:-1]:
                value = value[step]
            value = value.get(field[-1])  # a field written empty is not given
        written = load(path)  # YAML folds a raw U+0085 in the file into a space, for one
        for step in field:
            written = written[step]
        assert value == (written.strip() or None), (field, text, written, value)
        ET.fromstring(f"<Response><Say>{escape(str(value))}</Say></Response>")
        message = email.message.EmailMessage()
        message["Subject"] = str(value)
        message.as_bytes()
        assert not import_directory(session, copy.deepcopy(exported)).changed


def test_a_block_no_caller_can_match_is_an_error(example: dict[str, Any]) -> None:
    """ "030 1" was stored as +490301 (the 0 kept after +49): a block that silently matched
    nobody, while its customer's callers went elsewhere."""
    example["customers"][1]["phones"] = [{"block": "030 1"}, {"block": "0171"}]
    errors = read_refused(example)
    assert errors == [
        'customers[1] (10077).phones[0].block: "030 1" is not a valid number block: no valid '
        'number starts with +490301 (write short blocks with the country code, e.g. "+49 30 '
        '1234")',
        'customers[1] (10077).phones[1].block: "0171" is not a valid number block: no valid '
        'number starts with +490171 (write short blocks with the country code, e.g. "+49 30 '
        '1234")',
    ]


def test_a_policy_window_of_an_old_file_is_read_with_a_warning_and_dropped(
    session: Any, example: dict[str, Any]
) -> None:
    """`window` used to be a second expected emergency duration (for the chain's order only);
    the one duration is `settings.emergency_minutes`. An old file still imports, and says so."""
    example["provider"]["policy"] = {"order": "fewest-displaced", "window": "3h"}
    example["teams"][0]["policy"] = {"window": "2h"}
    with pytest.warns(DeprecatedKey, match="policy window") as caught:
        import_directory(session, example)
    assert len(caught) == 2
    provider = session.scalar(select(Provider))
    assert provider.policy == {"order": "fewest-displaced"}
    assert session.scalar(select(Team.policy).where(Team.key == "blau")) == {}
    assert "window" not in yaml.safe_dump(export_directory(session))
    example["provider"]["policy"], example["teams"][0]["policy"] = {"window": "soon"}, None
    assert any("shift 'soon'" in e for e in read_refused(example))  # still checked as before
