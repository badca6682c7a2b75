"""SMS and e-mail out, through the outbox: enqueue in the caller's transaction, deliver later.

A voice request only inserts a `Message` row (cheap, idempotent by `dedupe_key`); the worker
(`hotline/scheduler.py`) delivers what is due, so a slow Twilio or SMTP server never delays a
call, and a failed send is retried with backoff until it goes out or is marked `failed` loudly.
Without `TWILIO_ACCOUNT_SID` (SMS) or `HOTLINE_SMTP_HOST` (e-mail) a message is logged and
marked sent with `external_id="dry-run"`: the embedded default has no account (the demo mode).
No log line holds a phone number or an address in clear (`for_log`): logs are kept longer and
read by more people than the outbox, which the retention purge empties (hotline/retention.py).
"""

from __future__ import annotations

import hashlib
import logging
import re
import smtplib
import socket
import unicodedata
from datetime import datetime, timedelta
from email import policy
from email.charset import QP, Charset
from email.header import Header
from email.message import Message as Email
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, getaddresses, make_msgid, parseaddr
from time import monotonic
from typing import Any, Literal

import phonenumbers
import requests
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from hotline import clock, db, phones
from hotline.clock import local
from hotline.models import Message, Provider

log = logging.getLogger(__name__)

DRY_RUN = "dry-run"
MAX_TRIES = 8  # 1 + 2 + 4 + ... + 64 minutes of backoff: about two hours before giving up
CLAIM = timedelta(minutes=5)  # a worker that dies mid-send releases its message after this
BATCH = 50
# A run claims no more messages after this long: every claim is counted from the run's `now`, so
# a message claimed later (behind slow sends) could expire while still being sent, and a second
# worker would send it again. Half the claim leaves the last send enough time.
BUDGET = CLAIM / 2
TWILIO_TIMEOUT = 10  # seconds per HTTP request to Twilio
# Seconds for the SMTP server to answer each step. A submission server greets at once; a port 25
# server with a greeting pause (postscreen: 6 s) is the wrong server to relay through.
SMTP_TIMEOUT = 5


def enqueue_sms(
    session: Session, to: str, body: str, key: str, ticket_id: int | None = None
) -> bool:
    """Queue an SMS; False (and nothing inserted) when `key` was queued before."""
    return _enqueue(session, key, channel="sms", to=to, body=body, ticket_id=ticket_id)


def enqueue_email(
    session: Session,
    to: str,
    subject: str,
    text: str,
    key: str,
    html: str | None = None,
    ticket_id: int | None = None,
    not_before: datetime | None = None,
    sender_name: str | None = None,
    reply_to: str | None = None,
) -> bool:
    """Queue an e-mail (text, and HTML as an alternative) to one address or several
    (`"a@x, b@y"`); False when `key` was queued before. `not_before`: the worker sends it from
    then on (the morning, not at night). `sender_name`, `reply_to`: sent for a person, under
    their name from the hotline's address, answers to them."""
    return _enqueue(
        session, key, channel="email", to=to, subject=subject, body=text, html=html,
        ticket_id=ticket_id, not_before=not_before, sender_name=sender_name, reply_to=reply_to,
    )  # fmt: skip


def _enqueue(session: Session, key: str, **values: Any) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING in the caller's transaction: a retry inserts nothing.

    A message that does not fit its columns would fail the whole transaction (an alarm, a call's
    webhook): a subject too long is cut with an ellipsis, a key too long (it may end with an
    address) is replaced by its digest, which keeps it unique and the same on a retry."""
    now = clock.now()
    columns = Message.__table__.c
    if len(key) > columns.dedupe_key.type.length:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    subject, room = values.get("subject"), columns.subject.type.length
    if subject is not None and len(subject) > room:
        values["subject"] = subject[: room - 1].rstrip() + "…"
    due = values.pop("not_before", None) or now
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Message.__table__)
        .values(
            dedupe_key=key, status="pending", tries=0, next_try_at=due, created_at=now, **values
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Message.__table__.c.id)
    )
    return session.execute(statement).scalar() is not None


LANES = ("sms", "email")  # SMS first wherever both are sent in one go
Outcome = Literal["sent", "failed", "unreachable"]


def deliver_sms(session: Session, now: datetime) -> int:
    """The SMS lane, a worker job of its own: an emergency SMS never waits behind e-mail."""
    return deliver_due(session, now, "sms")


def deliver_email(session: Session, now: datetime) -> int:
    """The e-mail lane, a worker job of its own: a hung mail server holds up only e-mail."""
    return deliver_due(session, now, "email")


def deliver_due(session: Session, now: datetime, channel: str | None = None) -> int:
    """Send every pending message of `channel` that is due (both lanes, SMS first, without
    one: the `send-pending` command); returns how many went out.

    Each message is claimed by a conditional UPDATE (committed) before it is sent, so two
    workers never send the same one, and its outcome is committed on its own, so one failure
    never blocks or undoes the others. No transaction is open while a provider is asked: on
    SQLite it would hold the write lock, and every call's webhook would wait for a slow server.
    A provider that cannot be reached ends the run (the rest would only wait for the same
    timeout); what is left then, or after `BUDGET`, waits for the next run.
    This commits `session`.
    """
    if channel is None:
        return sum(deliver_due(session, now, lane) for lane in LANES)
    session.commit()
    deadline = monotonic() + BUDGET.total_seconds()
    due = session.scalars(
        select(Message.id)
        .where(Message.channel == channel, Message.status == "pending", Message.next_try_at <= now)
        .order_by(Message.next_try_at, Message.id)
        .limit(BATCH)
    ).all()
    sender = sms_sender(session) if due and channel == "sms" else None
    session.commit()
    sent = 0
    for done, message_id in enumerate(due):
        if monotonic() > deadline:
            log.warning("sending is slow: %d due messages left for the next run", len(due) - done)
            break
        message = _claim(session, message_id, now)
        if message is None:
            continue
        outcome = _deliver(session, message, now, sender)
        sent += outcome == "sent"
        if outcome == "unreachable":
            if len(due) > done + 1:
                log.warning(
                    "%s: the provider is unreachable, %d due messages left for the next run",
                    channel, len(due) - done - 1,
                )  # fmt: skip
            break
    return sent


def _claim(session: Session, message_id: int, now: datetime) -> Message | None:
    claimed = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == "pending", Message.next_try_at <= now)
        .values(tries=Message.tries + 1, next_try_at=now + CLAIM)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if not claimed:
        return None
    message = session.get(Message, message_id, populate_existing=True)
    session.commit()  # ends the read: nothing is held while the provider is asked
    return message


def _deliver(session: Session, message: Message, now: datetime, sender: str | None) -> Outcome:
    try:
        if message.channel == "sms":
            external_id = send_sms(message, sender)
        else:
            external_id = send_email(message, now)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.tries >= MAX_TRIES or permanent(exc):
            message.status = "failed"
            log.error(
                "message %s (%s to %s) FAILED after %d tries, not retried: %s",
                message.id, message.channel, masked(message.to), message.tries,
                for_log(message.last_error),
            )  # fmt: skip
        else:
            message.next_try_at = now + backoff(message.tries)
            log.warning(
                "message %s (%s to %s) try %d failed, next at %s: %s",
                message.id, message.channel, masked(message.to), message.tries,
                message.next_try_at.isoformat(), for_log(message.last_error),
            )  # fmt: skip
        session.commit()
        return "unreachable" if unreachable(exc) else "failed"
    message.external_id = external_id[:64]
    message.status = "sent"
    message.sent_at = now
    message.last_error = None
    session.commit()
    return "sent"


# Number-like text a matcher for valid numbers misses: "+4900", the E.164 of a refused 'To'.
E164ISH = re.compile(r"\+\d{4,15}(?![\d*])")
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TOKEN = re.compile(r"([?&]k=)[^&\s]+")  # the ticket link's signed access token (web.py)


def for_log(text: str | None) -> str:
    """`text` for a log line: phone numbers in any format, e-mail addresses and ticket link
    tokens masked; the rest (what an SMS says, a provider's error) stays readable."""
    if not text:
        return text or ""
    for match in reversed(list(phonenumbers.PhoneNumberMatcher(text, "DE"))):
        text = text[: match.start] + phones.masked(match.raw_string) + text[match.end :]
    text = E164ISH.sub(lambda m: phones.masked(m.group()), text)
    text = ADDRESS.sub(lambda m: phones.masked(m.group()), text)
    return TOKEN.sub(r"\1***", text)


def permanent(exc: Exception) -> bool:
    """A refusal of this very message (a bad number or address): retrying cannot help.

    Wrong credentials or a server that is down are not permanent: fixing them sends the message.
    """
    if isinstance(exc, TwilioRestException):
        return exc.status == 400
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


# No answer at all, as opposed to an answer refusing this message: the next one would only wait
# for the same timeout. (SMTP errors are OSErrors too; only these say nobody answered.)
UNREACHABLE = (
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    smtplib.SMTPConnectError,
    smtplib.SMTPServerDisconnected,
    requests.ConnectionError,
    requests.Timeout,
)


def unreachable(exc: Exception) -> bool:
    return isinstance(exc, UNREACHABLE)


def backoff(tries: int) -> timedelta:
    """Wait 1, 2, 4, 8 ... minutes after the 1st, 2nd, 3rd, 4th ... failed try."""
    return timedelta(minutes=2 ** (tries - 1))


def twilio_client() -> Client | None:
    """The Twilio REST client, with a timeout (the library's default has none); None without an
    account (the dry run). Tests must inject `TWILIO_HTTP_CLIENT`: they never reach Twilio."""
    config = current_app.config
    if not config.get("TWILIO_ACCOUNT_SID"):
        return None
    http_client = config.get("TWILIO_HTTP_CLIENT")
    if http_client is None:
        if config.get("TESTING"):
            raise RuntimeError("tests must set TWILIO_HTTP_CLIENT: refusing to reach Twilio")
        http_client = TwilioHttpClient(timeout=TWILIO_TIMEOUT)
    if config.get("TWILIO_API_URL"):
        http_client = Rebased(http_client, config["TWILIO_API_URL"])
    return Client(
        config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=http_client
    )


class Rebased(HttpClient):
    """Sends what the real client builds for `https://api.twilio.com` to another base URL
    (`TWILIO_API_URL`): a local stand-in for Twilio's API, the simulator's, a test double."""

    TWILIO = "https://api.twilio.com"

    def __init__(self, inner: HttpClient, base: str) -> None:
        super().__init__(logger=log, is_async=False)
        self.inner, self.base = inner, base.rstrip("/")

    def request(self, method: str, uri: str, *args: Any, **kwargs: Any) -> Any:
        if uri.startswith(self.TWILIO):
            uri = self.base + uri.removeprefix(self.TWILIO)
        return self.inner.request(method, uri, *args, **kwargs)


def sms_sender(session: Session) -> str | None:
    return current_app.config.get("HOTLINE_SMS_FROM") or session.scalar(
        select(Provider.central_number)
    )


def send_sms(message: Message, sender: str | None) -> str:
    """Send through the Twilio REST API; returns the message SID (or "dry-run")."""
    client = twilio_client()
    if client is None:
        log.warning(
            "DRY RUN, not sent (TWILIO_ACCOUNT_SID is not set): SMS %s to %s:\n%s",
            message.id, masked(message.to), for_log(message.body),
        )  # fmt: skip
        return DRY_RUN
    if not sender:
        raise RuntimeError("no SMS sender: set HOTLINE_SMS_FROM or the provider's central number")
    return client.messages.create(to=message.to, from_=sender, body=message.body).sid


def send_email(message: Message, now: datetime) -> str:
    """Send by SMTP as multipart text (+ HTML); returns the Message-ID (or "dry-run")."""
    config = current_app.config
    if not config.get("HOTLINE_SMTP_HOST"):
        log.warning(
            "DRY RUN, not sent (HOTLINE_SMTP_HOST is not set): e-mail %s to %s, subject %r%s:\n%s",
            message.id, masked(message.to), for_log(message.subject),
            " (with HTML part)" if message.html else "", for_log(message.body),
        )  # fmt: skip
        return DRY_RUN
    sender = config["HOTLINE_MAIL_FROM"]
    if message.sender_name:  # for a person: their name, the hotline's address
        sender = formataddr((message.sender_name, parseaddr(sender)[1]))
    with db.new_session() as session:  # read and closed: nothing is held during the send
        sent_at = local(now, clock.zone(session))
    email = compose(sender, message.to, message.subject or "", message.body, message.html, sent_at,
                    reply_to=message.reply_to)  # fmt: skip
    host, port = config["HOTLINE_SMTP_HOST"], config["HOTLINE_SMTP_PORT"]
    with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT) as smtp:
        if config.get("HOTLINE_SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("HOTLINE_SMTP_USER"):
            smtp.login(config["HOTLINE_SMTP_USER"], config.get("HOTLINE_SMTP_PASSWORD") or "")
        smtp.sendmail(parseaddr(sender)[1], recipients(message.to), wire(email))
    return email["Message-ID"]


def masked(to: str) -> str:
    """A message's `to` for a log line: a number, or each of several addresses, masked."""
    return ", ".join(phones.masked(part.strip()) for part in to.split(","))


def recipients(to: str) -> list[str]:
    """The addresses of a `to` of one or several ("a@x, B <b@y>")."""
    return [addr for _, addr in getaddresses([one_line(to)]) if addr]


# --- composing an e-mail -------------------------------------------------------------------
#
# Built with the stdlib's MIME classes and `email.header.Header`, not `EmailMessage`: in
# Python 3.11 the new API's header folder drops the space between two encoded words (a long
# subject with umlauts loses a space), and refuses a subject with a newline outright. The
# property test in tests/test_email.py reads every result back with `policy.strict`.

UTF8 = Charset("utf-8")
UTF8.body_encoding = QP  # 7-bit on the wire and short lines, whatever the text holds
BREAKS = ("Cc", "Zl", "Zp")  # control characters, line and paragraph separators


def one_line(text: str) -> str:
    """A header value on one line: control characters and line breaks become spaces, runs of
    white space one space, so a newline can never start a header of its own."""
    return " ".join("".join(" " if unicodedata.category(c) in BREAKS else c for c in text).split())


def address(text: str) -> str:
    """An address header: the display name RFC 2047-encoded where it needs to be."""
    return formataddr(parseaddr(one_line(text)), charset="utf-8")


def compose(
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    now: datetime,
    reply_to: str | None = None,
) -> Email:
    """The e-mail as it goes out: Date is `now` with its offset (`send_email` gives it in the
    provider's zone); `to` one address or several, comma-separated."""
    plain = MIMEText("\n".join(text.splitlines()) + "\n", "plain", UTF8)
    email: Email = plain
    if html is not None:
        email = MIMEMultipart("alternative")
        email.attach(plain)
        email.attach(MIMEText("\n".join(html.splitlines()) + "\n", "html", UTF8))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "hotline"
    email["From"] = address(sender)
    email["To"] = ", ".join(
        formataddr(pair, charset="utf-8") for pair in getaddresses([one_line(to)]) if pair[1]
    ) or address(to)
    if reply_to:
        email["Reply-To"] = address(reply_to)
    email["Subject"] = Header(one_line(subject), UTF8)
    email["Date"] = format_datetime(now)
    email["Message-ID"] = make_msgid(domain=domain)
    return email


def wire(email: Email) -> bytes:
    """The bytes sent to the SMTP server: CRLF line ends, headers folded by `Header`."""
    return email.as_bytes(policy=policy.compat32.clone(linesep="\r\n"))
