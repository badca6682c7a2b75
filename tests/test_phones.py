"""Phone numbers: German formats to E.164, caller IDs, spoken numbers."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hotline import phones
from hotline.phones import SENTINELS, caller_id, normalize, prefix, spoken

AREAS = ["30", "40", "89", "221", "69", "711", "341", "3581", "171", "151", "160", "176"]


@st.composite
def german_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """A valid German number as (area code, subscriber digits)."""
    area = draw(st.sampled_from(AREAS))
    subscriber = draw(st.from_regex(r"[1-9][0-9]{4,7}", fullmatch=True))
    assume(phonenumbers.is_valid_number(phonenumbers.parse(f"+49{area}{subscriber}")))
    return area, subscriber


def spaced(digits: str, sep: str) -> str:
    return sep.join(digits[i : i + 3] for i in range(0, len(digits), 3))


FORMATS = [
    "0{a} {s}",
    "0{a}{s}",
    "0{a}/{s}",
    "0{a}-{s}",
    "(0{a}) {s}",
    "0049 {a} {s}",
    "0049{a}{s}",
    "+49 {a} {s}",
    "+49{a}{s}",
    "+49 (0){a} {s}",
    "+49 (0) {a} / {s}",
    "+49-{a}-{s}",
    " 0{a} / {s} ",
]


@given(german_numbers(), st.sampled_from(FORMATS), st.sampled_from(["", " ", "-"]))
def test_every_german_format_gives_the_same_e164(
    number: tuple[str, str], fmt: str, sep: str
) -> None:
    area, subscriber = number
    raw = fmt.format(a=area, s=spaced(subscriber, sep))
    assert normalize(raw) == f"+49{area}{subscriber}"


@given(german_numbers(), st.sampled_from(FORMATS))
def test_normalize_is_idempotent(number: tuple[str, str], fmt: str) -> None:
    once = normalize(fmt.format(a=number[0], s=number[1]))
    assert normalize(once) == once
    assert caller_id(once) == once


@given(
    st.sampled_from(sorted(SENTINELS))
    | st.sampled_from(["anonymous", "Anonymous", "UNKNOWN", "restricted", "blocked"])
    | st.sampled_from(["unavailable", "client:Anonymous", "client:alice", "sip:1@x.de", ""])
    | st.just("   ")
    | st.none()
)
def test_withheld_is_never_a_caller_id(raw: str | None) -> None:
    assert caller_id(raw) is None


CALLER_FORMATS = [
    "+49 30 1234567",
    "0049301234567",
    "030 1234567",
    "030/1234567",
    "(030) 1234567",
    "+49 (0)30 1234567",
    "+490301234567",
    "+49301234567 ",
    "sip:+49301234567@pbx.example.de",
    "sips:0301234567@pbx.example.de;transport=tls",
    "sip:%2B49301234567@pbx.example.de",
    "<sip:+49301234567@pbx.example.de>",
    "tel:+49-30-1234567",
]


@pytest.mark.parametrize("raw", CALLER_FORMATS)
def test_caller_id_reads_every_format_of_a_number(raw: str) -> None:
    # Twilio passes on what it cannot normalise as it came: a German PBX's number is a number
    assert caller_id(raw) == "+49301234567"


@pytest.mark.parametrize(
    ("raw", "e164"), [("030 123456-0", "+49301234560"), ("0171 5550102", "+491715550102")]
)
def test_caller_id_reads_extensions_and_mobiles(raw: str, e164: str) -> None:
    assert caller_id(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "00266696687",  # ANONYMOUS with the international prefix
        "+1 737 874 2833",  # RESTRICTED, spaced
        "sip:+266696687@pbx.example.de",
        "sip:anonymous@anonymous.invalid",
        "sip:alice@pbx.example.de",
        "sip:@pbx.example.de",
        "tel:",
        "client:+49301234567",
        "Private",
        "301234567",  # no 0 or +: a local number of any area, the area would be a guess
        "+49301",
        "030 CALL ME",
    ],
)
def test_caller_id_refuses_sentinels_in_any_format_and_guesses(raw: str) -> None:
    assert caller_id(raw) is None


@given(st.text(max_size=30))
def test_caller_id_is_a_valid_e164_or_none(raw: str) -> None:
    result = caller_id(raw)
    if result is not None:
        assert result not in SENTINELS
        number = phonenumbers.parse(result, None)
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == result


@given(german_numbers(), st.sampled_from(FORMATS))
def test_caller_id_agrees_with_normalize(number: tuple[str, str], fmt: str) -> None:
    raw = fmt.format(a=number[0], s=number[1])
    assert caller_id(raw) == normalize(raw) == f"+49{number[0]}{number[1]}"


def test_foreign_caller_id() -> None:
    assert caller_id("+442079460958") == "+442079460958"
    assert caller_id("+14155552671") == "+14155552671"


@pytest.mark.parametrize("raw", ["030 12", "", "   ", "abc", "030 CALL ME", "+49", "12345", "++49"])
def test_normalize_refuses_with_a_clear_message(raw: str) -> None:
    with pytest.raises(ValueError, match="not a (valid )?phone number"):
        normalize(raw)


def test_normalize_keeps_foreign_numbers() -> None:
    assert normalize("+44 20 7946 0958") == "+442079460958"
    assert normalize("0044 20 7946 0958") == "+442079460958"


def test_prefix_for_number_blocks() -> None:
    assert prefix("+49 40 5551") == "+49405551"
    assert prefix("040 5551") == "+49405551"
    assert prefix("+49 30 123456") == "+4930123456"
    with pytest.raises(ValueError, match="is not a"):
        prefix("+49 3")


def test_spoken_groups_digits() -> None:
    assert spoken("+49301234567") == "0 3 0, 1 2 3, 4 5 6 7"
    assert spoken("+491715550000") == "0 1 7 1, 5 5 5, 0 0 0 0"
    assert spoken("+4930123456") == "0 3 0, 1 2 3, 4 5 6"
    assert spoken("+442079460958") == "+4 4, 2 0, 7 9 4 6, 0 9 5 8"


def test_masked_keeps_no_callable_number_in_a_log_line() -> None:
    assert phones.masked("+49301234567") == "+4930123****"
    assert phones.masked("anna@example.de") == "an***@example.de"
    assert phones.masked("123") == "***"
    assert phones.masked(None) == "-"
    assert "1234567" not in phones.masked("+49301234567")
