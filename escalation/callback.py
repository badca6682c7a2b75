"""Calling a customer back through the hotline (the call-back bridge).

The hotline calls the engineer's phone; when they press 1 it dials the customer with the
central number as caller ID: the customer sees the hotline, and the engineer's own number stays
private. Started with "Zurückrufen" on the ticket page, or with 2 in a re-page call. Pure rules:
who may start one, which number it dials, and what its talk time does to the ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from escalation.chain import Person, usable_number

CONNECT = "1"  # in the call-back menu: dial the customer now


@dataclass(frozen=True)
class Asker:
    """Who asks for a call-back: their engineer key (None: an account of no engineer)."""

    engineer: str | None
    lead: bool  # a project lead (may call back whoever took it)
    on_chain: bool  # the ticket's chain held them


@dataclass(frozen=True)
class Ticket:
    """A ticket as the call-back needs it."""

    ended: bool  # the caller's call is over (no call-back while it still runs)
    resolved: bool
    taken_by: str | None  # who took the call-back, if anyone
    caller: str | None  # the caller's E.164 (None: withheld)
    customer_numbers: tuple[str, ...] = ()  # the customer's own lines, in the directory's order


def may(asker: Asker, ticket: Ticket) -> str | None:
    """Why `asker` may not start a call-back on `ticket` (German, for the page), or None.

    The engineers of the ticket's chain and the project leads may; once someone took the
    call-back, only they and the project leads (a lead may step in for them).
    """
    if asker.engineer is None:
        return "Ihr Konto gehört zu keinem Techniker: es gibt kein Telefon, das wir anrufen können."
    if not (asker.on_chain or asker.lead):
        return "Zurückrufen können die Techniker dieses Notfalls und die Projektleitung."
    if ticket.resolved:
        return "Der Notfall ist gelöst."
    if not ticket.ended:
        return "Der Anruf läuft noch."
    if ticket.taken_by not in (None, asker.engineer) and not asker.lead:
        return "Den Rückruf hat schon jemand anderes übernommen."
    if number(ticket) is None:
        return "Für diesen Notfall ist keine Rückrufnummer bekannt."
    return None


def number(ticket: Ticket) -> str | None:
    """The number the call-back dials: the caller's, else the customer's first listed line."""
    for candidate in (ticket.caller, *ticket.customer_numbers):
        if candidate and usable_number(candidate):
            return candidate
    return None


def phone(person: Person | None) -> str | None:
    """The engineer's phone the hotline calls first: the mobile, else their next phone."""
    if person is None:
        return None
    return next((n for n, _ in person.ringing("all") if n and usable_number(n)), None)


def busy(to: str, live: Sequence[str]) -> bool:
    """A number the ticket is calling already (a re-page, another call-back): never twice at
    once."""
    return to in live


def pressed(digits: str) -> bool:
    """True when the engineer pressed 1: dial the customer."""
    return digits == CONNECT


def accepts(accepted: bool, seconds: int) -> bool:
    """A call-back the customer answered takes the emergency, when nobody had accepted it (a
    voicemail): from then on it is worked, resolved and billed like an accepted call."""
    return not accepted and seconds > 0
