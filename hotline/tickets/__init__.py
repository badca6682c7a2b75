"""Emergency tickets: the timeline, the messages about a ticket, and the ticket read back.

- `store`: finding a ticket and writing its timeline (`log`);
- `messages`: the SMS and e-mails about a call (accepted, missed, a message that is no emergency);
- `voicemail`: a voicemail announced, re-announced and acknowledged;
- `view`: the ticket read back for people (`as_dict`, `shown`).

The call itself (states, claims, accepting) is applied in hotline/calls.py; retention is
hotline/retention.py. Callers use the names below: `from hotline import tickets; tickets.log(...)`.
"""

from hotline.tickets.messages import forward_message, link, tell_accepted, tell_missed
from hotline.tickets.store import find, get, log
from hotline.tickets.view import as_dict, names, shown
from hotline.tickets.voicemail import acknowledge, announce_voicemail, chain_people, reannounce

__all__ = [
    "acknowledge",
    "announce_voicemail",
    "as_dict",
    "chain_people",
    "find",
    "forward_message",
    "get",
    "link",
    "log",
    "names",
    "reannounce",
    "shown",
    "tell_accepted",
    "tell_missed",
]
