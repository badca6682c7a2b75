"""E-mails as a strict, independent reader sees them: whatever text a template, the directory or
a caller puts into a subject or body, the message parses under `email.policy.strict` without a
defect, has the headers RFC 5322 asks for, and gives back the same subject, on one header."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from email_reader import HEADERS, strict
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline import notify

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
SENDER = "Störungsdienst Solutionbar <hotline@solutionbar.example>"

# Any Unicode (control characters, line and paragraph separators, NUL, emoji), plus the pieces
# that break naive composition: newlines that could start a header, text that looks like an
# encoded word, and words far longer than a line.
PIECES = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        ["\n", "\r\n", "\r", " ", "\t", "\x00", "\x85", "\u2028", "\u2029", "ü", "😀", "\u200d"]
    ),
    st.sampled_from(["\nBcc: evil@example.org", "=?utf-8?q?Spam?=", "Subject: x", ": "]),
    st.text(alphabet="abcXYZ019=?_-", min_size=80, max_size=1200),  # one very long ASCII word
    st.text(min_size=80, max_size=400),
)
TEXT = st.lists(PIECES, max_size=10).map("".join)


def lines(text: str) -> str:
    """Text with every line break (CRLF, CR, LF, U+2028 ...) as one LF, no trailing ones."""
    return "\n".join(text.splitlines()).rstrip("\n")


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(subject=TEXT, name=TEXT, body=TEXT, html=st.none() | TEXT)
def test_any_text_makes_a_strictly_valid_email_with_the_same_subject(
    subject: str, name: str, body: str, html: str | None
) -> None:
    title = f"Notfall #7 ({name}): {subject}"
    text = f"Hallo {name},\n\n{body}\n"
    email = notify.compose(SENDER, "it@mueller.example", title, text, html, NOW)
    parsed = strict(notify.wire(email))
    # a newline in the subject never made a header of its own
    assert set(parsed.keys()) - {"Content-Transfer-Encoding"} == HEADERS
    assert parsed["Subject"] == notify.one_line(title)
    assert not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in parsed["Subject"])
    assert lines(parsed.get_body(("plain",)).get_content()) == lines(text)
    if html is not None:
        assert lines(parsed.get_body(("html",)).get_content()) == lines(html)
    assert parsed["Date"].datetime == NOW
