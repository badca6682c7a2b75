"""Numbers and blocks that change routing are said, before a call finds out.

`+49 171` swallowed an engineer's mobile, `+49 30 1` a slice of Berlin, the same number on two
customers made its callers ambiguous: each imported without a word.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from builders import small_provider
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from test_directory import EXAMPLE, count

from escalation import routing
from hotline import callers, db
from hotline.directory import DirectoryError, import_directory
from hotline.models import Customer, Phone, Provider


@pytest.fixture
def example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE)


def add_phone(data: dict[str, Any], customer: int, **phone: str) -> None:
    data["customers"][customer].setdefault("phones", []).append(phone)


def test_a_block_that_takes_an_engineers_calls_is_an_error(
    session: Any, example: dict[str, Any]
) -> None:
    add_phone(example, 1, block="+49 171", label="Mobilfunk")  # anna: 0171 2345678
    with pytest.raises(DirectoryError) as caught:
        import_directory(session, example, accept_warnings=True)
    assert caught.value.errors == [
        "customers[1] (10077).phones[0].block: takes the calls of provider.fallback_number "
        "(+491715550000): calling in, they would be taken for customer 10077",
        "customers[1] (10077).phones[0].block: takes the calls of engineers[0] (anna).mobile "
        "(+491712345678): calling in, they would be taken for customer 10077",
    ]
    assert any("+49171 is an area code and 0 more digit(s)" in w for w in caught.value.warnings)
    assert count(session, Customer) == 0


def test_the_providers_own_lines_are_never_a_customers(
    session: Any, example: dict[str, Any]
) -> None:
    add_phone(example, 1, number="+49 30 9876540")  # the central number
    with pytest.raises(DirectoryError) as caught:
        import_directory(session, example, accept_warnings=True)
    assert caught.value.errors == [
        "customers[1] (10077).phones[0].number: takes the calls of provider.central_number "
        "(+49309876540): calling in, they would be taken for customer 10077"
    ]


def test_shadowing_and_wide_blocks_are_warnings_to_confirm(
    session: Any, example: dict[str, Any]
) -> None:
    add_phone(example, 1, block="+49 30 1", label="Berlin?")
    with pytest.raises(DirectoryError) as caught:
        import_directory(session, example)
    assert caught.value.errors == []
    assert caught.value.warnings == [  # 10042's number lies in its own, longer block: no word
        "customers[0] (10042).phones[1].block: +4930123456 lies in the block +49301 of "
        "customers[1] (10077).phones[0].block: its callers reach customer 10042, not 10077 "
        "(the longest block wins)",
        "customers[1] (10077).phones[0].block: +49301 is an area code and 1 more digit(s): "
        "every caller whose number starts with it is taken for customer 10077 (a company's "
        "block is its number without the extension)",
    ]
    assert count(session, Customer) == 0
    summary = import_directory(session, example, accept_warnings=True)
    assert summary.counts["customers"]["created"] == 2
    assert f"accepted warning: {caught.value.warnings[1]}" in summary.lines()


def test_the_same_number_for_two_customers_is_a_warning(
    session: Any, example: dict[str, Any]
) -> None:
    add_phone(example, 1, number="+49 (0)30 1234567")
    with pytest.raises(DirectoryError) as caught:
        import_directory(session, example)
    assert caught.value.warnings == [
        "customers[1] (10077).phones[0].number: +49301234567 is also listed for customers[0] "
        "(10042).phones[0].number: its callers are asked for their customer number"
    ]
    import_directory(session, example, accept_warnings=True)
    assert callers.identify(session, "+49301234567").reason == "ambiguous"


def test_the_command_asks_for_confirmation(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(
        EXAMPLE.replace(
            "    language: en\n", '    language: en\n    phones: [{block: "+49 30 1"}]\n'
        ),
        encoding="utf-8",
    )
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["import", str(path)])
    assert refused.exit_code == 1
    assert "not imported, nothing changed. 2 warning(s) to confirm with --accept-warnings" in (
        refused.output
    )
    accepted = runner.invoke(args=["import", str(path), "--accept-warnings"])
    assert accepted.exit_code == 0, accepted.output
    assert "customers: 2 created" in accepted.output
    assert "accepted warning: customers[1] (10077).phones[0].block: +49301 is an area" in (
        accepted.output
    )


# --- check ----------------------------------------------------------------------------------


def check(app: Flask) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["check"])
    return result.exit_code, result.output


def test_check_fails_on_a_block_that_takes_an_engineers_calls(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        built = small_provider(session)
        built["acme"].phones.append(Phone(kind="block", value="+49172", label="zu kurz"))
        session.commit()
    code, out = check(app)
    assert code == 1
    assert (
        "FAIL  customer 20077 (block): takes the calls of engineer jonas's mobile "
        "(+491723456789): calling in, they would be taken for customer 20077"
    ) in out
    assert "WARN  customer 20077 (block): +49172 is an area code and 0 more digit(s)" in out


def test_check_warns_of_ambiguous_numbers(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        built = small_provider(session)
        built["acme"].phones.append(Phone(kind="number", value="+49301234567"))
        session.commit()
    code, out = check(app)
    assert code == 0, out
    assert (
        "WARN  customer 20077 (number): +49301234567 is also listed for customer 10042 "
        "(number): its callers are asked for their customer number"
    ) in out


def test_check_fails_on_settings_no_import_would_take(app: Flask) -> None:
    """Settings stored before the import checked them: the displacement check would raise."""
    with app.app_context():
        session = db.session()
        small_provider(session)
        provider = session.scalars(select(Provider)).one()
        provider.settings = {"emergency_minutes": "abc", "working_hours": {"start": "8am"}}
        provider.holiday_region = "Augsburg"
        session.commit()
    code, out = check(app)
    assert code == 1
    assert "FAIL  provider settings emergency_minutes: " in out
    assert "FAIL  provider settings working_hours: " in out
    assert "FAIL  the provider: holiday region 'Augsburg' is unknown" in out


# --- the rule is the caller identification's -------------------------------------------------

NUMBERS = ["+49301234567", "+49301234568", "+49301299999", "+49405551234", "+491712345678"]
PREFIXES = ["+4930", "+49301", "+4930123", "+49301234", "+4930123456", "+49405551", "+49171"]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    phones=st.lists(
        st.tuples(
            st.sampled_from(["1", "2", "3"]),
            st.sampled_from(["number", "block"]),
            st.integers(0, 6),
        ),
        max_size=8,
        unique=True,
    )
)
def test_reaches_decides_as_the_caller_identification(
    app: Flask, phones: list[tuple[str, str, int]]
) -> None:
    """The import's routing report models hotline/callers.py: they must never disagree."""
    assert routing.SHORTEST_BLOCK == callers.SHORTEST_BLOCK
    listed = [
        routing.Listed(owner, kind, NUMBERS[i % 5] if kind == "number" else PREFIXES[i], "")
        for owner, kind, i in phones
    ]
    with app.app_context():
        session = db.session()
        for row in session.scalars(select(Customer)):
            session.delete(row)
        session.flush()
        rows = {
            owner: Customer(number=owner, name=owner, language="de") for owner in ("1", "2", "3")
        }
        for x in listed:
            if (x.kind, x.value) not in {(p.kind, p.value) for p in rows[x.customer].phones}:
                rows[x.customer].phones.append(Phone(kind=x.kind, value=x.value))
        session.add_all(rows.values())
        session.flush()
        for number in NUMBERS:
            how, owners = routing.reaches(number, listed)
            found = callers.identify(session, number)
            if len(owners) > 1:
                assert found.reason == "ambiguous", (number, listed)
            elif owners:
                assert (found.method, found.customer.number) == (how, next(iter(owners)))
            else:
                assert found.reason == "unknown"
        session.rollback()


def test_a_fallback_number_or_a_mobile_that_is_the_central_number_is_an_error(
    session: Any, example: dict[str, Any]
) -> None:
    """On any failure the hotline would dial itself: a call loop, never a human."""
    example["provider"]["fallback_number"] = example["provider"]["central_number"]
    example["engineers"][0]["mobile"] = example["provider"]["central_number"]
    with pytest.raises(DirectoryError) as caught:
        import_directory(session, example, accept_warnings=True)
    loops = [e for e in caught.value.errors if "ring itself" in e]
    assert [e.split(":")[0] for e in loops] == [
        "provider.fallback_number", "engineers[0] (anna).mobile"
    ]  # fmt: skip


def test_check_reports_the_number_the_fallback_path_will_dial(
    app: Flask, session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotline import create_app, readiness

    small_provider(session)
    session.commit()
    written = create_app({"INSTANCE_PATH": app.instance_path, "DATABASE_URL":
                          app.config["DATABASE_URL"], "HOTLINE_FALLBACK_NUMBER":
                          "+49 171 555-0000"})  # fmt: skip
    assert written.config["HOTLINE_FALLBACK_NUMBER"] == "+491715550000"
    app.config["HOTLINE_FALLBACK_NUMBER"] = None  # and no fallback.json on this host:
    (Path(app.instance_path) / "fallback.json").unlink()  # the import ran elsewhere
    text = " ".join(f.text for f in readiness.check(app, session, app.config["CLOCK"](), 7)
                    if f.level == readiness.FAIL)  # fmt: skip
    assert "knows no fallback number" in text
