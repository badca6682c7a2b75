"""The words of every SMS and e-mail, kept as they are (tests/texts.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from texts_scenario import compose_everything

GOLDEN = Path(__file__).with_name("texts.json")


def golden() -> list[Any]:
    return json.loads(GOLDEN.read_text())


def test_every_text_keeps_its_wording(session: Any) -> None:
    assert compose_everything(session) == golden()
