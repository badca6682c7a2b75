"""Sending the deliveries: the worker's job `deliver-webhooks`, `flask webhooks --send`.

Each delivery is claimed with one conditional UPDATE (committed) before it is sent: the claim
is a lease of `CLAIM` on it, so two workers never send one delivery at once, and a worker that
dies mid-send leaves it to the next run once the lease has run out. No transaction is open
while a target is asked (on SQLite it would hold the write lock every call's webhook needs).

A ticket's deliveries to one target go in order: one waits while an earlier one is pending (a
Zammad article needs the ticket its first event made). Every try is logged (`DeliveryAttempt`):
its status code, or why there was none. An answer 2xx delivers; 408, 429, 5xx, a timeout or no
connection is tried again after a backoff (1, 2, 4 ... minutes, at most an hour; Retry-After
where the target gives one), until `MAX_TRIES`; any other answer (a 4xx: the request is wrong,
or the token) fails at once, and is sent again only by hand (`flask webhooks --retry ID`, the
page /webhooks). A message that no ticket system took goes to the support mailbox after all.

HTTP with `requests`: it is a dependency already (notify.py, twilio's client), the worker is
synchronous, and (connect, read) timeouts per request are what is needed here; httpx would add
a second HTTP stack for nothing the worker uses.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session, aliased

from hotline import clock, notify
from hotline.directory.schema import WebhookEntry as Target
from hotline.models import Delivery, DeliveryAttempt, Ticket
from hotline.outbound import sign, zammad
from hotline.outbound.targets import setting, targets

log = logging.getLogger(__name__)

TIMEOUT = (3.05, 5)  # seconds to connect, and to wait for each read of the answer
MAX_ANSWER = 64 * 1024  # bytes of an answer read (a Zammad ticket is a few kB)
MAX_TRIES = 12  # 1 + 2 + 4 + ... + 32 + 60 * 6 minutes: about seven hours of trying
LONGEST_WAIT = timedelta(hours=1)
CLAIM = timedelta(minutes=5)
BUDGET = CLAIM / 2  # a run claims nothing after this: its last send ends within the claim
BATCH = 50
AGAIN = frozenset({408, 429})  # the 4xx answers worth trying again
USER_AGENT = "hotline-webhooks/1"


@dataclass(frozen=True)
class Answer:
    """What one try came to: the target's status and answer, or the error that stopped it."""

    status: int | None = None
    error: str | None = None
    data: Any = None  # the answer's JSON, where it had some
    retry_after: int | None = None  # seconds, from a Retry-After header
    unreachable: bool = False  # no answer at all: the target's other deliveries wait too
    gone: bool = False  # the target is no longer configured: trying again cannot help

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def again(self) -> bool:
        """Worth another try: no answer, or one that says "later"."""
        if self.gone:
            return False
        return self.status is None or self.status >= 500 or self.status in AGAIN


def deliver(session: Session, now: datetime) -> int:
    """Send every delivery that is due, in order per ticket and target; returns how many were
    delivered. A target that does not answer is left alone for the rest of the run. Commits."""
    session.commit()
    deadline = monotonic() + BUDGET.total_seconds()
    configured = {t.key: t for t in targets(session)}
    zone = clock.zone(session)
    session.commit()
    delivered = 0
    silent: set[str] = set()  # targets that did not answer in this run
    while due := _due(session, now, silent):
        for delivery_id, target in due:
            if monotonic() > deadline:
                log.warning("webhooks are slow: deliveries left for the next run")
                return delivered
            if target in silent:
                continue  # it did not answer the one before: this waits for the next run
            delivery = _claim(session, delivery_id, now)
            if delivery is None:
                continue
            answer = _send(session, delivery, configured.get(delivery.target), zone, now)
            delivered += answer.delivered
            if answer.unreachable:
                silent.add(delivery.target)
    return delivered


def _due(session: Session, now: datetime, silent: set[str]) -> list[tuple[int, str]]:
    """(id, target) of the deliveries due now, oldest first, none waiting for an earlier one."""
    earlier = aliased(Delivery)
    waiting = exists().where(
        earlier.target == Delivery.target,
        earlier.ticket_id == Delivery.ticket_id,
        earlier.id < Delivery.id,
        earlier.status == "pending",
    )
    query = (
        select(Delivery.id, Delivery.target)
        .where(Delivery.status == "pending", Delivery.next_try_at <= now, ~waiting)
        .order_by(Delivery.id)
        .limit(BATCH)
    )
    if silent:
        query = query.where(Delivery.target.not_in(silent))
    due = [(delivery_id, target) for delivery_id, target in session.execute(query)]
    session.commit()
    return due


def _claim(session: Session, delivery_id: int, now: datetime) -> Delivery | None:
    """The lease: one conditional UPDATE; None when another worker has it (or it is done)."""
    claimed = session.execute(
        update(Delivery)
        .where(
            and_(
                Delivery.id == delivery_id,
                Delivery.status == "pending",
                Delivery.next_try_at <= now,
            )
        )  # fmt: skip
        .values(tries=Delivery.tries + 1, next_try_at=now + CLAIM)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if not claimed:
        return None
    delivery = session.get(Delivery, delivery_id, populate_existing=True)
    session.commit()  # ends the read: nothing is held while the target is asked
    return delivery


def _send(session: Session, delivery: Delivery, target: Target | None, zone: ZoneInfo,
          now: datetime) -> Answer:  # fmt: skip
    started = monotonic()
    zammad_id = None
    if target is not None and target.format == "zammad":
        zammad_id = _zammad_ticket(session, delivery)
        session.commit()
    answer = attempt(delivery, target, zone, zammad_id)
    _record(session, delivery, answer, now, int((monotonic() - started) * 1000), zammad_id)
    return answer


def _zammad_ticket(session: Session, delivery: Delivery) -> str | None:
    """The Zammad ticket an earlier delivery of this hotline ticket made, if one did."""
    if delivery.ticket_id is None:
        return None
    return session.scalar(
        select(Delivery.external_id)
        .where(
            Delivery.target == delivery.target,
            Delivery.ticket_id == delivery.ticket_id,
            Delivery.external_id.is_not(None),
        )  # fmt: skip
        .order_by(Delivery.id)
        .limit(1)
    )


def attempt(delivery: Delivery, target: Target | None, zone: ZoneInfo,
            zammad_id: str | None = None) -> Answer:  # fmt: skip
    """One try: the request for this target's format, signed, with short timeouts."""
    if target is None:
        return Answer(error=f"target {delivery.target!r} is no longer in the directory", gone=True)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Hotline-Event": delivery.event,
        "X-Hotline-Delivery": str(delivery.id),
    }
    method, url, body = "POST", target.url, delivery.body.encode()
    if target.format == "zammad":
        assert target.zammad is not None
        token = setting(target.zammad.token)
        if token is None:
            return Answer(error=f"{target.zammad.token} is not set (the Zammad API token)")
        headers["Authorization"] = f"Token token={token}"
        made = zammad.request(target, json.loads(delivery.body), zammad_id, zone)
        method, url = made.method, made.url
        body = json.dumps(made.json, ensure_ascii=False).encode()
    if target.secret:
        secret = setting(target.secret)
        if secret is None:
            return Answer(error=f"{target.secret} is not set (the webhook's signing secret)")
        headers[sign.HEADER] = sign.signature(secret, int(time.time()), body)
    return post(method, url, body, headers)


def post(method: str, url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """The request itself; never raises. Redirects are not followed (a moved target is a wrong
    URL in the directory, and a redirect would carry the token elsewhere)."""
    try:
        with requests.request(method, url, data=body, headers=headers, timeout=TIMEOUT,
                              allow_redirects=False, stream=True) as answer:  # fmt: skip
            raw = answer.raw.read(MAX_ANSWER, decode_content=True) or b""
            status = answer.status_code
            retry_after = answer.headers.get("Retry-After", "")
    except (requests.Timeout, requests.ConnectionError) as exc:
        return Answer(error=f"{type(exc).__name__}: {exc}", unreachable=True)
    except Exception as exc:  # noqa: BLE001 - a bad URL, a TLS fault: logged on the try
        return Answer(error=f"{type(exc).__name__}: {exc}")
    data = None
    with suppress(ValueError):  # not JSON: the text is the error where the status is one
        data = json.loads(raw) if raw else None
    error = None if 200 <= status < 300 else f"HTTP {status}: {raw[:300].decode(errors='replace')}"
    after = int(retry_after) if retry_after.isdigit() else None
    return Answer(status=status, error=error, data=data, retry_after=after,
                  unreachable=status in (429, 502, 503, 504))  # fmt: skip


def _record(session: Session, delivery: Delivery, answer: Answer, now: datetime,
            milliseconds: int, zammad_id: str | None) -> None:  # fmt: skip
    """The try in the log, and what becomes of the delivery. Commits."""
    error = notify.for_log(answer.error)[:2000] if answer.error else None
    session.add(DeliveryAttempt(delivery_id=delivery.id, at=now, status_code=answer.status,
                                error=error, milliseconds=milliseconds))  # fmt: skip
    delivery.last_status, delivery.last_error = answer.status, error
    where = f"delivery {delivery.id} ({delivery.event} of ticket {delivery.ticket_id} to " \
            f"{delivery.target})"  # fmt: skip
    if answer.delivered:
        delivery.status, delivery.delivered_at = "delivered", now
        if zammad_id is None and answer.data is not None:
            delivery.external_id = zammad.ticket_id(answer.data)
        log.info("%s delivered: HTTP %s", where, answer.status)
    elif answer.again and delivery.tries < MAX_TRIES:
        wait = min(notify.backoff(delivery.tries), LONGEST_WAIT)
        if answer.retry_after:
            wait = min(max(wait, timedelta(seconds=answer.retry_after)), LONGEST_WAIT)
        delivery.next_try_at = now + wait
        log.warning("%s try %d failed, next at %s: %s", where, delivery.tries,
                    delivery.next_try_at.isoformat(), error)  # fmt: skip
    else:
        delivery.status = "failed"
        log.error("%s FAILED after %d tries, not tried again: %s", where, delivery.tries, error)
        _to_mailbox(session, delivery)
    session.commit()


def _to_mailbox(session: Session, delivery: Delivery) -> None:
    """A message no ticket system took still reaches a person: the support mailbox's e-mail."""
    if delivery.event != "message.received" or delivery.ticket_id is None:
        return
    taken = exists().where(
        Delivery.ticket_id == delivery.ticket_id,
        Delivery.event == delivery.event,
        Delivery.status == "delivered",
    )
    if session.scalar(select(taken)):
        return  # another target has it
    from hotline.tickets.messages import mail_message

    ticket = session.get(Ticket, delivery.ticket_id)
    if ticket is not None:
        mail_message(session, ticket)


def retry(session: Session, delivery: Delivery, now: datetime) -> None:
    """Send it again (by hand): pending, due now, with its tries counted afresh."""
    delivery.status, delivery.tries, delivery.next_try_at = "pending", 0, now
