"""`/jourfixe`: each customer's JourFixe, its next status e-mail previewed (text, and the HTML
in a sandboxed frame) before "send now" puts it into the outbox, and the GL-JourFixe report.

Doors into `hotline/reports.py` and `hotline/glreport.py`, the same services as `flask
status-emails --show` and `flask gl-report`: the e-mail is the one the worker would send after
the JourFixe, queued under that JourFixe's key, so it goes out once whoever sends it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from escalation.access import Permission
from escalation.jourfixe import Half
from hotline import clock, db, glreport, jourfixe, reports
from hotline.models import Customer
from hotline.web import access, problem, web

# What the HTML of a status e-mail may do inside the preview's frame: show itself, nothing else.
MAIL_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"


def _customer(number: str) -> Customer:
    found = db.session().scalar(select(Customer).where(Customer.number == number))
    if found is None:
        abort(404)
    return found


@web.get("/jourfixe", endpoint="jourfixe")
@access.needs(Permission.STATUS_EMAIL)
def jourfixe_page() -> ResponseReturnValue:
    session = db.session()
    now = clock.now()
    return render_template(
        "jourfixe/list.html", plans=jourfixe.plans(session, now), zone=clock.zone(session),
        half=str(Half.of(now.astimezone(clock.zone(session)).date())),
    )  # fmt: skip


@web.get("/jourfixe/<number>")
@access.needs(Permission.STATUS_EMAIL)
def status_email(number: str) -> ResponseReturnValue:
    """A customer's next status e-mail as it would go out now: headers, text and HTML."""
    session = db.session()
    customer = _customer(number)
    now = clock.now()
    mail = reports.preview(session, customer, now)
    rhythm = jourfixe.rhythm(customer)
    return render_template(
        "jourfixe/status.html", c=customer, mail=mail, zone=clock.zone(session),
        ends=rhythm.end(mail.jourfixe) if rhythm and mail.jourfixe else None, now=now,
        address=current_app.config["HOTLINE_MAIL_FROM"], sent=jourfixe.sent(session, customer),
        half=str(Half.of(now.astimezone(clock.zone(session)).date())),
        upcoming=jourfixe.upcoming(session, customer, now),
    )  # fmt: skip


@web.post("/jourfixe/<number>/cancelled")
@access.needs(Permission.STATUS_EMAIL)
def cancel_jourfixe(number: str) -> ResponseReturnValue:
    """A coming JourFixe does not take place (`cancel`), or does after all (`reinstate`)."""
    session = db.session()
    customer = _customer(number)
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        abort(400)
    said = f"{day:%d.%m.%Y}"
    if request.form.get("action") == "reinstate":
        if jourfixe.reinstate(customer, day):
            access.audit("reinstate JourFixe", f"customer {customer.number} {day}")
        flash(f"Der JourFixe am {said} findet statt.")
    else:
        who = access.current()
        refusal = jourfixe.cancel(session, customer, day, who.name if who else "?", clock.now())
        if refusal is None:
            access.audit("cancel JourFixe", f"customer {customer.number} {day}")
        flash(refusal or f"Der JourFixe am {said} fällt aus: zu ihm geht keine Status-E-Mail raus.")
    session.commit()
    return redirect(url_for("web.status_email", number=customer.number))


@web.get("/jourfixe/<number>/html")
@access.needs(Permission.STATUS_EMAIL)
def status_email_html(number: str) -> ResponseReturnValue:
    """The HTML part alone, for the preview's frame: sandboxed, nothing may run or load."""
    mail = reports.preview(db.session(), _customer(number), clock.now())
    answer = Response(mail.html, mimetype="text/html")
    answer.headers["Content-Security-Policy"] = MAIL_POLICY
    answer.headers["X-Frame-Options"] = "SAMEORIGIN"
    return answer


@web.post("/jourfixe/<number>")
@access.needs(Permission.STATUS_EMAIL)
def send_status_email(number: str) -> ResponseReturnValue:
    """Queue the previewed e-mail: as the e-mail of its JourFixe, which then sends no other
    (without a rhythm: at most one a day)."""
    session = db.session()
    customer = _customer(number)
    try:  # the JourFixe previewed: pressed twice, the second finds it queued
        shown = request.form.get("jourfixe")
        occurrence = datetime.fromisoformat(shown).astimezone(UTC) if shown else None
        queued = jourfixe.recipients(customer) and reports.queue_status(
            session, customer, clock.now(), occurrence
        )
    except ValueError:
        abort(400)
    if not jourfixe.recipients(customer):
        flash(f"{customer.name} hat keine E-Mail-Adresse im Verzeichnis.")
    elif queued:
        access.audit("queue status e-mail", f"customer {customer.number}")
        flash(f"Status-E-Mail an {', '.join(jourfixe.recipients(customer))} liegt in der "
              "Ausgangspost (unten).")  # fmt: skip
    else:
        flash("Diese Status-E-Mail ist schon in der Ausgangspost.")
    session.commit()
    return redirect(url_for("web.status_email", number=customer.number))


@web.get("/jourfixe/<number>/gl-report")
@access.needs(Permission.BILLING)
def gl_report(number: str) -> ResponseReturnValue:
    """The half-year report for the GL-JourFixe as a PDF (`flask gl-report`)."""
    session = db.session()
    customer = _customer(number)
    now = clock.now()
    try:
        half = Half.parse(request.args.get("half") or str(Half.of(now.date())))
    except ValueError:
        return problem(400, "Ungültiges Halbjahr", "Bitte ein Halbjahr als JJJJ-H1 oder JJJJ-H2.")
    data = glreport.pdf(session, glreport.report(session, customer, half, now))
    name = f"gl-{customer.number}-{half}.pdf"
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
