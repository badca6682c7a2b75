"""Pages for people: the ticket page every SMS and e-mail links to.

There are no passwords on a phone at 3 a.m.: each link carries a token signed with the app's
secret that names the ticket and the reader, so a link opens that one ticket for that one person
and nothing else; a forged or altered token is a 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from werkzeug.wrappers import Response

from hotline import db, tickets
from hotline.clock import now
from hotline.models import Engineer, Ticket

web = Blueprint("web", __name__, template_folder="templates")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="ticket-link")


def token(ticket_id: int, who: str) -> str:
    return _serializer().dumps([ticket_id, who])


def _reader(ticket_id: int) -> str:
    """The reader a valid token names; 404 for anything else (no hint what exists)."""
    try:
        found, who = _serializer().loads(request.values.get("k", ""))
    except (BadSignature, ValueError, TypeError):
        abort(404)
    if found != ticket_id:
        abort(404)
    return who


@web.get("/tickets/<int:ticket_id>")
def ticket(ticket_id: int) -> str:
    who = _reader(ticket_id)
    found = db.session().get(Ticket, ticket_id) or abort(404)
    return render_template(
        "ticket.html",
        t=tickets.as_dict(found),
        who=who,
        k=request.args["k"],
        can_take=_can_take(found, who),
    )


@web.post("/tickets/<int:ticket_id>/take")
def take(ticket_id: int) -> Response:
    """An engineer takes the voicemail: the re-announcements stop."""
    who = _reader(ticket_id)
    session = db.session()
    found = session.get(Ticket, ticket_id) or abort(404)
    engineer = session.scalar(select(Engineer).where(Engineer.key == who))
    if engineer is None:
        abort(403)
    tickets.acknowledge(session, found, engineer, now())
    session.commit()
    return redirect(url_for("web.ticket", ticket_id=ticket_id, k=request.values["k"]))


def _can_take(found: Ticket, who: str) -> bool:
    return found.state == "callback_pending" and found.acknowledged_at is None and who != "dispatch"
