"""The list of tickets (`/tickets`): filters and a search, newest first, one page at a time.

Which tickets an account sees is part of the query (hotline/tickets/search.py): an engineer's
list holds the tickets whose chain held them, the office's every ticket.
"""

from __future__ import annotations

from datetime import date

from flask import render_template, request
from sqlalchemy import select

from escalation.access import Permission
from hotline import db
from hotline.clock import zone
from hotline.models import Customer, Engineer
from hotline.tickets import search, shown
from hotline.web import access, web

STATE_WORDS = {search.OPEN: "offen (in Arbeit oder Rückruf offen)", search.RESOLVED: "gelöst"}


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filters() -> search.Filters:
    """The filters as asked; anything unreadable is left out, never an error."""
    state = request.args.get("state") or None
    page = request.args.get("page", "1")
    return search.Filters(
        state=state if state in search.STATES else None,
        customer=(request.args.get("customer") or "").strip()[:32] or None,
        engineer=(request.args.get("engineer") or "").strip()[:64] or None,
        since=_day("since"),
        until=_day("until"),
        text=(request.args.get("q") or "")[:100],
        page=int(page) if page.isascii() and page.isdigit() and len(page) < 6 else 1,
    )


@web.get("/tickets")
@access.needs()
def tickets() -> str:
    who = access.current()
    assert who is not None
    session = db.session()
    filters = _filters()
    where = zone(session)
    found = search.search(session, who.role, who.engineer, filters, where)
    customers = session.execute(select(Customer.number, Customer.name).order_by(Customer.name))
    engineers = session.execute(select(Engineer.key, Engineer.name).order_by(Engineer.name))
    return render_template(
        "tickets.html", found=found, f=filters, states=search.STATES,
        customers=customers.tuples().all(), engineers=engineers.tuples().all(),
        caller_data=who.may(Permission.CALLER_DATA), shown=lambda at: shown(at, where),
        state_words=STATE_WORDS, args={k: v for k, v in request.args.items() if k != "page"},
    )  # fmt: skip
