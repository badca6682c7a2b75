"""Phone numbers: German input formats to E.164, caller IDs, and numbers read aloud.

Everything stored is E.164. Input arrives in every German format ("030 123456",
"0049 30 123456", "+49 (0)30 123456", with "/" and "-"), and so do caller IDs: Twilio passes on
a number it cannot normalise as it came, a PBX's national format or a SIP URI. A caller ID is a
number when it reads as a valid one and is none of the values that stand for a withheld caller
(the words, `client:`, the keypad-spelled sentinels of twilio-facts.md §3). A number is still
matched to a customer only exactly or by its block (callers.identify): reading more formats
never widens a match.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

# Only what people write in phone numbers; letters (vanity numbers, "ext") are refused.
ALLOWED = re.compile(r"^[\d\s+()/.\-]+$")
# A caller as a URI: "sip:+49301234567@pbx.example.de;transport=tls", "<sip:...>", "tel:+4930...",
# "client:alice". The user part of sip/sips (before "@", without ";params" or ":password") and
# the number of tel (without ";params") are what may be a phone number.
URI = re.compile(
    r"^<?(?P<scheme>sips?|tel|client):(?P<user>[^@;:>]*)(?:[:;][^@>]*)?(?:@[^>]*)?>?$", re.I
)

# Keypad spellings Twilio sends for withheld callers: ANONYMOUS, RESTRICTED (twice), BLOCKED,
# UNKNOWN, UNAVAILABLE. Some look like valid foreign numbers, so they are named explicitly.
SENTINELS = frozenset(
    {"+266696687", "+7378742833", "+17378742833", "+2562533", "+8656696", "+86282452253"}
)
WITHHELD_WORDS = ("anonymous", "unknown", "restricted", "blocked", "unavailable", "private")


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber:
    text = raw.strip()
    if not text or not ALLOWED.match(text) or not any(c.isdigit() for c in text):
        raise ValueError(f'"{raw}" is not a phone number')
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise ValueError(f'"{raw}" is not a phone number ({exc})') from None


def normalize(raw: str, region: str = "DE") -> str:
    """Any German (or international) format to E.164; ValueError for an invalid number."""
    number = _parse(raw, region)
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f'"{raw}" is not a valid phone number')
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def prefix(raw: str, region: str = "DE") -> str:
    """A number block (Rufnummernblock) as an E.164 prefix, e.g. "040 5551" -> "+49405551".

    A block is the start of a number, so it need not be a valid number itself; it must name a
    country and at least an area code's worth of digits, and leave room for extensions.
    """
    number = _parse(raw, region)
    national = str(number.national_number)
    if len(national) < 3 or len(str(number.country_code)) + len(national) >= 15:
        raise ValueError(f'"{raw}" is not a valid number block')
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def caller_id(raw: str | None, region: str = "DE") -> str | None:
    """The E.164 of a usable caller ID, or None when withheld, a sentinel or no valid number.

    Twilio passes on what it cannot normalise as it came, so a German PBX's "030 1234567",
    "+49 (0)30 1234567" or "sip:+49301234567@pbx.example.de" is read like any other input
    (`normalize`). Refused: empty values, the withheld words, `client:` callers, a SIP user that
    is no number, the sentinels in any format, and digits without a leading "0" or "+" (a local
    number of an unknown area: its area code would be a guess, and a wrong customer is worse
    than asking for the number).
    """
    if raw is None:
        return None
    text = raw.strip()
    uri = URI.match(text)
    if uri:
        if uri["scheme"].lower() == "client":
            return None
        text = unquote(uri["user"]).strip()  # the host may say anything, the user is the caller
    elif ":" in text:
        return None
    lowered = text.lower()
    if any(word in lowered for word in WITHHELD_WORDS) or not text.startswith(("+", "0", "(0")):
        return None
    try:
        e164 = normalize(text, region)
    except ValueError:
        return None
    return None if e164 in SENTINELS else e164


def _digit_groups(group: str) -> list[str]:
    """Long groups in threes, the last one up to four: "1234567" -> "123", "4567"."""
    parts = []
    while len(group) > 4:
        parts.append(group[:3])
        group = group[3:]
    return [*parts, group]


def display(e164: str) -> str:
    """National format for German numbers, international for the rest ("030 1234567")."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    german = number.country_code == 49
    style = PhoneNumberFormat.NATIONAL if german else PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def international(e164: str) -> str:
    """E.164 written for people, as the directory export shows it ("+49 30 1234567")."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def spoken(e164: str) -> str:
    """The number as text-to-speech should read it: digit by digit, in groups.

    "+49301234567" -> "0 3 0, 1 2 3, 4 5 6 7"; "+442079460958" -> "+4 4, 2 0, 7 9 4 6, 0 9 5 8".
    """
    groups = re.findall(r"\+?\d+", display(e164))
    parts = [g for group in groups for g in _digit_groups(group.lstrip("+"))]
    words = [" ".join(part) for part in parts]
    if groups and groups[0].startswith("+"):
        words[0] = "+" + words[0]
    return ", ".join(words)


def masked(raw: str | None) -> str:
    """A caller ID or address for a log line: enough to tell two apart, not enough to call.

    "+49301234567" -> "+4930123****"; "anna@example.de" -> "an***@example.de". Logs are kept
    longer and read by more people than tickets, so personal data never goes there in clear.
    """
    if not raw:
        return "-"
    text = raw.strip()
    if "@" in text and ":" not in text:
        local, _, domain = text.partition("@")
        return f"{local[:2]}***@{domain}"
    keep = max(0, min(len(text) - 4, 8))
    return text[:keep] + "*" * (len(text) - keep)
