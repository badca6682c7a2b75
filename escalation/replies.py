"""What an engineer's SMS reply means: the voicemail SMS asks them to reply 1 or OK to take the
call-back. Anything else gets a short word of what to send."""

from __future__ import annotations

import re

TAKE = frozenset({"1", "ok", "okay", "ja"})


def takes(body: str) -> bool:
    """True for a reply that takes the call-back ("1", "OK", "ok.", " Ja! ")."""
    return re.sub(r"[\s.!]+", "", body or "").lower() in TAKE
