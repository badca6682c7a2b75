"""Pages for people: the ticket page every SMS and e-mail links to.

There are no passwords on a phone at 3 a.m.: each link carries a token signed with the app's
secret that names the ticket and the reader, so a link opens that one ticket for that one person
and nothing else; a forged or altered token is a 404.
"""

from __future__ import annotations

import logging

import requests
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response as Redirect

from hotline import db, links, tickets
from hotline.clock import now
from hotline.models import Engineer, Ticket

# The page's style is a file of our own: the Content-Security-Policy (hotline/headers.py) runs
# no inline style or script.
web = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/web"
)
# States and outcomes as the engineers read them (the page is German, like their whisper).
WORDS = {
    "identifying": "Anrufer wird erkannt",
    "confirming": "Notfall wird bestätigt",
    "ringing": "Techniker werden angerufen",
    "voicemail": "Nachricht wird aufgenommen",
    "connected": "verbunden",
    "callback_pending": "Rückruf offen",
    "not_emergency": "kein Notfall",
    "referred": "ans Büro verwiesen",
    "abandoned": "aufgelegt",
    "lost": "ohne Rückmeldung beendet",
    "accepted": "angenommen",
    "declined": "abgelehnt",
    "no-answer": "nicht erreicht",
    "busy": "besetzt",
    "failed": "nicht erreichbar",
    "not-accepted": "ohne Tastendruck (Mailbox?)",
    "cancelled": "abgebrochen",
    # timeline events (tickets.log)
    "arrived": "Anruf eingegangen",
    "identified": "Kunde erkannt",
    "not identified": "Kunde nicht erkannt",
    "customer number entered": "Kundennummer eingegeben",
    "pin entered": "PIN eingegeben",
    "continues unidentified": "weiter ohne Zuordnung",
    "referred to the office": "ans Büro verwiesen",
    "confirmation answered": "Notfallfrage beantwortet",
    "emergency confirmed": "Notfall bestätigt",
    "not an emergency": "kein Notfall",
    "skipped": "übersprungen",
    "answered": "abgehoben",
    "attempt ended": "Versuch beendet",
    "bridged call ended": "Gespräch beendet",
    "voicemail left": "Nachricht hinterlassen",
    "message left": "Nachricht hinterlassen",
    "call ended": "Anruf beendet",
    "fell to the fallback": "weiter über die Ausfall-Leitung",
    "closed without word from Twilio": "ohne Rückmeldung von Twilio geschlossen",
    "acknowledged": "Rückruf übernommen",
    "resolved": "gelöst",
    "surcharge waived": "Aufschlag erlassen",
    "appointment at risk": "Termin gefährdet",
    "appointment released": "Termin wieder frei",
    "personal data deleted": "personenbezogene Daten gelöscht",
}
log = logging.getLogger(__name__)
TWILIO_MEDIA = "https://api.twilio.com/"


def _reader(ticket_id: int) -> str:
    """The reader a valid token names; 404 for anything else (no hint what exists)."""
    return links.reader(ticket_id, request.values.get("k", "")) or abort(404)


@web.get("/tickets/<int:ticket_id>")
def ticket(ticket_id: int) -> str:
    who = _reader(ticket_id)
    found = db.session().get(Ticket, ticket_id) or abort(404)
    return render_template(
        "ticket.html",
        t=tickets.as_dict(found),
        who=who,
        words=WORDS,
        k=request.args["k"],
        can_acknowledge=_can_acknowledge(found, who),
    )


@web.post("/tickets/<int:ticket_id>/acknowledge")
def acknowledge(ticket_id: int) -> Redirect:
    """An engineer acknowledges the voicemail ("Ich übernehme den Rückruf"): the
    re-announcements stop."""
    who = _reader(ticket_id)
    session = db.session()
    found = session.get(Ticket, ticket_id) or abort(404)
    engineer = session.scalar(select(Engineer).where(Engineer.key == who))
    if engineer is None:
        abort(403)
    tickets.acknowledge(session, found, engineer, now())
    session.commit()
    return redirect(url_for("web.ticket", ticket_id=ticket_id, k=request.values["k"]))


@web.get("/tickets/<int:ticket_id>/voicemail")
def voicemail(ticket_id: int) -> Response:
    """The voicemail, fetched from Twilio with the account's credentials: Twilio's media URLs
    may demand them, and an engineer at 3 a.m. has none. Never cached (personal data)."""
    _reader(ticket_id)
    found = db.session().get(Ticket, ticket_id) or abort(404)
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
        log.error(
            "Twilio answered %s for the voicemail of ticket %s", answer.status_code, ticket_id
        )
        abort(502)
    return Response(
        answer.content, mimetype="audio/mpeg", headers={"Cache-Control": "private, no-store"}
    )


@web.app_template_filter("when")
def when(shown: str | None) -> str:
    """'2026-11-27T02:44:08+01:00' (Berlin, from tickets.shown) as '27.11.2026 02:44'."""
    if not shown:
        return ""
    return f"{shown[8:10]}.{shown[5:7]}.{shown[:4]} {shown[11:16]}"


def _can_acknowledge(found: Ticket, who: str) -> bool:
    return found.state == "callback_pending" and found.acknowledged_at is None and who != "dispatch"
