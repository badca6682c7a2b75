"""docs/prompts.md says what callers hear: it quotes the texts as they are, and a known caller
hears at most 8 seconds of speech before the first ring."""

from __future__ import annotations

from pathlib import Path

from hotline.voice.prompts import TEXTS, seconds_to_say

DOC = (Path(__file__).parent.parent / "docs" / "prompts.md").read_text()
QUOTED = ["greeting", "greeting_unknown", "ask_customer_number", "customer_number_unknown",
          "confirm", "connecting", "next_engineer", "voicemail", "blocked", "urgent",
          "urgent_thanks", "back_now", "back_today", "back_tomorrow", "back_day",
          "reconnecting", "in_hand", "message_waiting", "another_message"]  # fmt: skip


def test_the_script_quotes_the_texts_as_they_are() -> None:
    flat = " ".join(DOC.split())
    for name in QUOTED:
        for language, text in TEXTS[name].items():
            assert " ".join(text.split()) in flat, (name, language)
    assert " ".join(TEXTS["not_emergency"]["de"].split()) in flat
    assert " ".join(TEXTS["whisper"]["de"].split()) in flat


def test_a_known_caller_hears_at_most_8_seconds_before_the_first_ring() -> None:
    name = "Müller & Söhne Maschinenbau GmbH"  # the demo's longest customer name is shorter
    for language in ("de", "en"):
        before = [TEXTS["greeting"][language].format(customer=name), TEXTS["confirm"][language],
                  TEXTS["connecting"][language]]  # fmt: skip
        assert sum(seconds_to_say(t) for t in before) <= 8, language
    assert "Aufschlag" not in TEXTS["confirm"]["de"]


def test_a_caller_who_calls_again_hears_one_short_sentence_or_two() -> None:
    """Calling again at 3 a.m.: about 3 seconds before a phone rings (the dropped call), at
    most 8 before the tone (their emergency is being handled)."""
    for language in ("de", "en"):
        assert seconds_to_say(TEXTS["reconnecting"][language]) <= 3.5, language
        for first in ("in_hand", "message_waiting"):
            said = TEXTS[first][language] + " " + TEXTS["another_message"][language]
            assert seconds_to_say(said) <= 8, (first, language)
