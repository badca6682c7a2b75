"""Finding personal data in text, in whatever form it was written: a test helper."""

from __future__ import annotations

import re

import phonenumbers

# Separators people and our own formats put between digits: spaces, hyphens, slashes,
# parentheses, dots and the commas of a number read aloud ("0 1 5 1 1, 2 3 4, ...").
BETWEEN_DIGITS = re.compile(r"(?<=\d)[\s\-/().,]+(?=\d)")


def digits_of(e164: str) -> str:
    """The national significant number: in every written form of the number, these digits
    stand together once the separators are gone (E.164, +49 ..., 0..., spoken digit by digit)."""
    return str(phonenumbers.parse(e164, None).national_number)


def holds_number(text: str, e164: str) -> bool:
    return digits_of(e164) in BETWEEN_DIGITS.sub("", text)


def leaks(text: str, numbers: tuple[str, ...] = (), words: tuple[str, ...] = ()) -> list[str]:
    """The numbers (any form) and words (addresses, names; case ignored) found in `text`."""
    found = [n for n in numbers if holds_number(text, n)]
    return found + [w for w in words if w.lower() in text.lower()]
