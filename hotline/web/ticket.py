"""The ticket page: opened by a signed link from an SMS (no password at 3 a.m.) or by an account.

A link opens its one ticket for its one reader for `HOTLINE_LINK_DAYS`; an expired or altered
link gets a page that says what to do. Every play of a voicemail is written to the audit log.
"""

from __future__ import annotations

import logging

import requests
from flask import Response, abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as Redirect

from escalation.access import Permission, Role
from hotline import db, links, tickets
from hotline.clock import now
from hotline.models import Engineer, Ticket
from hotline.web import access, problem, web

log = logging.getLogger(__name__)
TWILIO_MEDIA = "https://api.twilio.com/"


def _open(ticket_id: int) -> tuple[Ticket, access.Who]:
    """The ticket and who may read it: the link's reader, or an account that sees it."""
    found = db.session().get(Ticket, ticket_id)
    given = request.values.get("k")
    if given is not None:
        reader, trouble = links.reader(ticket_id, given)
        if reader is None or found is None:
            abort(_link_problem(trouble or "invalid"))
        who = access.Who("link", reader, Role.ENGINEER, reader if reader != "dispatch" else None,
                         ticket=ticket_id)  # fmt: skip
        g.who = who
        return found, who
    who = access.current()
    if who is None or who.kind != "user":
        abort(redirect(url_for("web.login", next=request.full_path.rstrip("?"))))
    if found is None:
        abort(404)
    chain = [e.engineer for e in found.frozen_chain().entries]
    if not who.sees(ticket_id, chain):
        abort(403)
    return found, who


def _link_problem(trouble: str) -> Response:
    text = (
        "Dieser Link ist abgelaufen. Die Disposition oder Ihre Anmeldung im Notdienst-Portal "
        "öffnet das Ticket weiter; bei einem offenen Notfall kommt die nächste SMS mit neuem Link."
        if trouble == "expired"
        else "Dieser Link ist ungültig (unvollständig kopiert?). Bitte öffnen Sie ihn direkt aus "
        "der SMS oder melden Sie sich im Notdienst-Portal an."
    )
    title = "Link abgelaufen" if trouble == "expired" else "Link ungültig"
    body, status = problem(410 if trouble == "expired" else 404, title, text)
    return Response(body, status=status)


@web.get("/tickets/<int:ticket_id>")
def ticket(ticket_id: int) -> str:
    found, who = _open(ticket_id)
    caller = who.kind == "link" or who.may(Permission.CALLER_DATA)
    return render_template(
        "ticket.html", t=tickets.as_dict(found), reader=who.name, k=request.args.get("k"),
        can_acknowledge=_can_acknowledge(found, who), caller_data=caller,
    )  # fmt: skip


@web.post("/tickets/<int:ticket_id>/acknowledge")
def acknowledge(ticket_id: int) -> Redirect:
    """An engineer takes the call-back (acknowledges the voicemail): re-announcing stops."""
    found, who = _open(ticket_id)
    session = db.session()
    engineer = session.scalar(select(Engineer).where(Engineer.key == (who.engineer or "")))
    if engineer is None or not (who.kind == "link" or who.may(Permission.WORK_TICKET)):
        abort(403)
    if not _can_acknowledge(found, who):  # nothing (more) to call back: say so, not "forbidden"
        abort(Response(*problem(409, "Kein Rückruf offen",
                                "Für dieses Ticket ist kein Rückruf (mehr) offen.")))  # fmt: skip
    tickets.acknowledge(session, found, engineer, now())
    access.audit("acknowledge call-back", f"ticket {ticket_id}")
    session.commit()
    k = request.values.get("k")
    return redirect(url_for("web.ticket", ticket_id=ticket_id, **({"k": k} if k else {})))


@web.get("/tickets/<int:ticket_id>/voicemail")
def voicemail(ticket_id: int) -> Response:
    """The voicemail, fetched from Twilio with the account's credentials: Twilio's media URLs
    may demand them, and an engineer at 3 a.m. has none. Never cached (personal data)."""
    found, who = _open(ticket_id)
    if who.kind != "link" and not who.may(Permission.CALLER_DATA):
        abort(403)
    url = found.voicemail_url or ""
    if not url.startswith(TWILIO_MEDIA):
        abort(404)
    config = current_app.config
    media = config.get("TWILIO_MEDIA_SESSION")
    if media is None:
        if config.get("TESTING"):
            raise RuntimeError("tests must set TWILIO_MEDIA_SESSION: refusing to reach Twilio")
        media = requests
    auth = (config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"])
    try:
        answer = media.get(f"{url}.mp3", auth=auth if auth[0] else None, timeout=10)
    except requests.RequestException:
        log.exception("voicemail of ticket %s could not be fetched from Twilio", ticket_id)
        abort(502)
    if answer.status_code != 200:
        log.error("Twilio answered %s for the voicemail of ticket %s", answer.status_code,
                  ticket_id)  # fmt: skip
        abort(502)
    access.audit("play voicemail", f"ticket {ticket_id}")
    db.session().commit()
    return Response(answer.content, mimetype="audio/mpeg",
                    headers={"Cache-Control": "private, no-store"})  # fmt: skip


def _can_acknowledge(found: Ticket, who: access.Who) -> bool:
    return (
        found.state == "callback_pending"
        and found.acknowledged_at is None
        and who.engineer is not None
        and (who.kind == "link" or who.may(Permission.WORK_TICKET))
    )
