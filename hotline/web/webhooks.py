"""`/webhooks`: the admin's view of the ticket systems' webhooks: the targets the directory
names (and whether their secrets are set), the delivery log with every try, and "send again".

Doors into hotline/outbound/ (the same services as `flask webhooks`). The events' bodies are
not shown: they hold the caller's number, which an admin does not see (escalation/access.py);
the errors in the log are masked as in every log line (`notify.for_log`).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from escalation.access import Permission
from hotline import clock, db
from hotline.models import Delivery
from hotline.outbound import deliver, targets
from hotline.web import access, web

PAGE_SIZE = 50
STATUSES = ("pending", "delivered", "failed")


@web.get("/webhooks", endpoint="webhooks")
@access.needs(Permission.ACCOUNTS)
def webhooks_page() -> str:
    """The targets, then the deliveries newest first (`?status=failed`, `?page=2`)."""
    session = db.session()
    status = request.args.get("status")
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = select(Delivery).options(selectinload(Delivery.attempts))
    counted = select(func.count(Delivery.id))
    if status in STATUSES:
        query, counted = (
            query.where(Delivery.status == status),
            counted.where(Delivery.status == status),
        )
    total = session.scalar(counted) or 0
    deliveries = session.scalars(
        query.order_by(Delivery.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    configured = [
        (t, targets.setting(t.secret) is not None if t.secret else None,
         targets.setting(t.zammad.token) is not None if t.zammad else None)
        for t in targets.targets(session)
    ]  # fmt: skip
    counts = dict(
        session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    )
    return render_template(
        "webhooks/webhooks.html", targets=configured, deliveries=deliveries, counts=counts,
        status=status if status in STATUSES else None, statuses=STATUSES, page=page,
        pages=max(-(-total // PAGE_SIZE), 1), zone=clock.zone(session),
    )  # fmt: skip


@web.get("/webhooks/<int:delivery_id>")
@access.needs(Permission.ACCOUNTS)
def delivery_page(delivery_id: int) -> str:
    """One delivery with every try: when, what the target answered, how long it took."""
    session = db.session()
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        abort(404)
    return render_template("webhooks/delivery.html", d=delivery, zone=clock.zone(session))


@web.post("/webhooks/<int:delivery_id>/retry")
@access.needs(Permission.ACCOUNTS)
def retry_delivery(delivery_id: int) -> ResponseReturnValue:
    """Send it again: due now, with its tries counted afresh; the worker sends it within
    seconds (after a fixed URL, token or secret, say)."""
    session = db.session()
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        abort(404)
    was = delivery.status
    deliver.retry(session, delivery, clock.now())
    access.audit("retry webhook", f"delivery {delivery.id}", was=was, target=delivery.target)
    session.commit()
    flash(f"Zustellung #{delivery.id} wird erneut gesendet.")
    return redirect(url_for("web.delivery_page", delivery_id=delivery.id))
