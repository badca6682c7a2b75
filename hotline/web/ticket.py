"""The ticket page: opened by a signed link from an SMS (no password at 3 a.m.) or by an account.

A link opens its one ticket for its one reader for `HOTLINE_LINK_DAYS`; an expired or altered
link gets a page that says what to do. Every play of a voicemail is written to the audit log.

An account that works tickets adds notes, logs the work minutes and resolves, assigns a customer
to an unidentified caller's ticket, and a project lead waives the surcharge: each a form (CSRF)
into the service that owns the rule (hotline/tickets/work.py, hotline/billing.py), each change
written to the audit log under the account's name.
"""

from __future__ import annotations

import logging

import requests
from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response as Redirect

from escalation import callback as calling
from escalation.access import Permission, Role
from hotline import billing, callback, db, links, tickets
from hotline.clock import now, zone
from hotline.models import Customer, Engineer, Ticket
from hotline.tickets import work
from hotline.web import access, problem, web
from hotline.web.words import DECISIONS, LEVELS, PURPOSES

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
    session = db.session()
    caller = who.kind == "link" or who.may(Permission.CALLER_DATA)
    works = who.kind == "user" and who.may(Permission.WORK_TICKET)
    return render_template(
        "ticket.html", t=tickets.as_dict(found), reader=who.name, k=request.args.get("k"),
        can_acknowledge=_can_acknowledge(found, who), caller_data=caller, works=works,
        can_call_back=_asker(found, who) is not None and _refusal(found, who) is None,
        may_waive=who.kind == "user" and who.may(Permission.WAIVE) and who.engineer is not None,
        names=tickets.names(session), notes=found.notes if caller else None,
        surcharge=billing.surcharge(session, found, now()), resolvable=_resolvable(found),
        work_minutes=found.work_minutes, decisions=DECISIONS, levels=LEVELS,
        purposes=PURPOSES,
        shown=lambda at: tickets.shown(at, zone(session)),
        customers=session.execute(select(Customer.number, Customer.name)
                                  .order_by(Customer.name)).tuples().all()
        if works and found.customer_id is None else [],
    )  # fmt: skip


def _resolvable(found: Ticket) -> bool:
    """The resolve form is offered for an accepted emergency not yet resolved (the service
    refuses the rest, with its reason)."""
    return found.accepted_at is not None and found.resolved_at is None


def _working(ticket_id: int, permission: Permission = Permission.WORK_TICKET) -> Ticket:
    """The ticket, for an account that sees it and holds `permission` (never a link)."""
    found, who = _open(ticket_id)
    if who.kind != "user" or not who.may(permission):
        abort(403)
    return found


def _done(ticket_id: int, said: str, refused: str | None = None) -> Redirect:
    """Back to the ticket, with what happened (a refusal: nothing was written)."""
    if refused is None:
        db.session().commit()
        flash(said, "ok")
    else:
        db.session().rollback()
        flash(f"{said}: {refused}", "error")
    return redirect(url_for("web.ticket", ticket_id=ticket_id))


@web.post("/tickets/<int:ticket_id>/note")
def note(ticket_id: int) -> Redirect:
    found = _working(ticket_id)
    who = access.current()
    assert who is not None
    try:
        work.add_note(db.session(), found, request.form.get("text", ""), who.name, now())
    except work.TicketError as exc:
        return _done(ticket_id, "Notiz nicht gespeichert", str(exc))
    access.audit("add note", f"ticket {ticket_id}")
    return _done(ticket_id, "Notiz gespeichert.")


@web.post("/tickets/<int:ticket_id>/resolve")
def resolve(ticket_id: int) -> Redirect:
    """Log the work minutes and resolve: the real duration settles the appointments at risk."""
    found = _working(ticket_id)
    raw = request.form.get("work_minutes", "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 5):
        return _done(ticket_id, "Nicht gelöst", "Arbeitsminuten als ganze Zahl angeben.")
    note = request.form.get("notes", "").strip()[: work.LONGEST_NOTE] or None
    try:
        billing.resolve(db.session(), found, now(), int(raw), note)
    except billing.BillingError as exc:
        return _done(ticket_id, "Nicht gelöst", str(exc))
    access.audit("resolve", f"ticket {ticket_id}", work_minutes=int(raw))
    return _done(ticket_id, f"Gelöst, {int(raw)} min Arbeit erfasst.")


@web.post("/tickets/<int:ticket_id>/assign")
def assign(ticket_id: int) -> Redirect:
    """An unidentified caller's customer, found out afterwards: so it can be billed."""
    found = _working(ticket_id)
    who = access.current()
    assert who is not None
    session = db.session()
    number = request.form.get("customer", "").strip()[:32]
    customer = session.scalar(select(Customer).where(Customer.number == number))
    if customer is None:
        return _done(ticket_id, "Nicht zugeordnet", "Bitte einen Kunden wählen.")
    try:
        work.assign_customer(session, found, customer, who.name, now())
    except work.TicketError as exc:
        return _done(ticket_id, "Nicht zugeordnet", str(exc))
    access.audit("assign customer", f"ticket {ticket_id}", customer=customer.number)
    return _done(ticket_id, f"Kunde {customer.name} zugeordnet.")


@web.post("/tickets/<int:ticket_id>/waive")
def waive(ticket_id: int) -> Redirect:
    """A project lead waives the surcharge, with a reason, under their own name."""
    found = _working(ticket_id, Permission.WAIVE)
    who = access.current()
    session = db.session()
    lead = session.scalar(select(Engineer).where(Engineer.key == (who.engineer if who else "")))
    if lead is None:
        return _done(ticket_id, "Nicht erlassen", "Ihr Konto gehört zu keinem Techniker.")
    reason = request.form.get("reason", "").strip()[:500]
    try:
        billing.waive(session, found, lead, reason, now())
    except billing.BillingError as exc:
        return _done(ticket_id, "Nicht erlassen", str(exc))
    access.audit("waive surcharge", f"ticket {ticket_id}", reason=reason)
    return _done(ticket_id, "Aufschlag erlassen.")


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
    taker = tickets.acknowledge(session, found, engineer, now())
    if taker.id == engineer.id:
        access.audit("acknowledge call-back", f"ticket {ticket_id}")
    else:  # someone was quicker: say who has it
        flash(f"Den Rückruf hat schon {taker.name} übernommen.", "error")
    session.commit()
    k = request.values.get("k")
    return redirect(url_for("web.ticket", ticket_id=ticket_id, **({"k": k} if k else {})))


@web.post("/tickets/<int:ticket_id>/callback")
def call_back(ticket_id: int) -> Redirect:
    """Zurückrufen: the hotline calls the asker's phone and, on 1, the customer from the central
    number (hotline/callback.py). Whoever sees the ticket and is an engineer of its chain or a
    project lead (escalation/callback.py `may`), by account or by the SMS link; starting it
    takes a call-back still open."""
    found, who = _open(ticket_id)
    session = db.session()
    engineer = _asker(found, who)
    if engineer is None:
        abort(403)
    refused = _refusal(found, who)
    if refused is None:
        try:
            callback.start(session, found, engineer, now())
        except callback.Refused as exc:
            refused = str(exc)
    if refused is not None:
        session.rollback()
        flash(f"Kein Rückruf: {refused}", "error")
    else:
        access.audit("call back", f"ticket {ticket_id}")
        session.commit()
        flash("Ihr Telefon klingelt gleich. Drücken Sie dort die 1: wir verbinden Sie mit dem "
              "Kunden, der die Nummer der Hotline sieht.", "ok")  # fmt: skip
    k = request.values.get("k")
    return redirect(url_for("web.ticket", ticket_id=ticket_id, **({"k": k} if k else {})))


def _asker(found: Ticket, who: access.Who) -> Engineer | None:
    """The engineer asking to call back (an account that works tickets, or a link's reader)."""
    if not (who.kind == "link" or who.may(Permission.WORK_TICKET)) or who.engineer is None:
        return None
    return db.session().scalar(select(Engineer).where(Engineer.key == who.engineer))


def _refusal(found: Ticket, who: access.Who) -> str | None:
    engineer = _asker(found, who)
    if engineer is None:
        return "Ihr Konto gehört zu keinem Techniker."
    chain = {e.engineer for e in found.frozen_chain().entries}
    asker = calling.Asker(engineer.key, engineer.role == "project_lead", engineer.key in chain)
    return calling.may(asker, callback.ticket_view(db.session(), found))


@web.get("/tickets/<int:ticket_id>/voicemail")
def voicemail(ticket_id: int) -> Response:
    """The voicemail (or, with `again`, the message left on that repeat call), fetched from
    Twilio with the account's credentials: Twilio's media URLs may demand them, and an engineer
    at 3 a.m. has none. Never cached (personal data)."""
    found, who = _open(ticket_id)
    if who.kind != "link" and not who.may(Permission.CALLER_DATA):
        abort(403)
    url = _recording(found, request.args.get("again"))
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


def _recording(found: Ticket, again: str | None) -> str:
    """The URL of the ticket's voicemail, or of the message left on one of its repeat calls."""
    if again is None:
        return found.voicemail_url or ""
    call = next((r for r in found.repeat_calls if str(r.id) == again), None)
    return (call.recording_url or "") if call else ""


def _can_acknowledge(found: Ticket, who: access.Who) -> bool:
    return (
        found.state == "callback_pending"
        and found.acknowledged_at is None
        and who.engineer is not None
        and (who.kind == "link" or who.may(Permission.WORK_TICKET))
    )
