"""Is this deployment ready to take the provider's emergency calls? One list of findings.

A wrong public URL or auth token makes every webhook answer 403, and then even the Fallback URL
fails: the caller hears Twilio's error message. That must be found before the number is pointed
here, not by the first customer at 3 a.m.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Flask
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escalation import regions, routing
from hotline import fallback, roster
from hotline.clock import local, zone
from hotline.directory.schema import Settings
from hotline.models import Customer, Delivery, Engineer, Phone, Provider, Team
from hotline.outbound import targets

FAIL, WARN, OK = "FAIL", "WARN", "OK"


@dataclass(frozen=True)
class Finding:
    level: str
    text: str


def check(app: Flask, session: Session, now: datetime, days: int = 7) -> list[Finding]:
    config = app.config
    live = bool(config["TWILIO_ACCOUNT_SID"])
    found: list[Finding] = []

    def say(level: str, text: str) -> None:
        found.append(Finding(level, text))

    url = urlsplit(config["HOTLINE_PUBLIC_URL"])
    if url.hostname in ("localhost", "127.0.0.1", "::1"):
        say(FAIL if live else WARN, f"HOTLINE_PUBLIC_URL {url.geturl()} is not reachable by Twilio")
    elif url.scheme != "https":
        say(WARN, f"HOTLINE_PUBLIC_URL {url.geturl()} is not https: callers' data travel in clear")
    else:
        say(OK, f"Twilio calls {url.geturl()}")
    if live and "TWILIO_AUTH_TOKEN" in config["HOTLINE_GENERATED"]:
        say(FAIL, "TWILIO_AUTH_TOKEN is not set: every signature check will fail (403)")
    elif not live:
        say(WARN, "TWILIO_ACCOUNT_SID is not set: SMS are logged (DRY RUN), not sent")
    else:
        say(OK, "Twilio account and auth token are set")
    if not config["HOTLINE_SMTP_HOST"]:
        say(WARN, "HOTLINE_SMTP_HOST is not set: e-mail is logged (DRY RUN), not sent")
    if live and config["DATABASE_URL"].startswith("sqlite"):
        say(WARN, "the database is SQLite: use PostgreSQL (DATABASE_URL) in production")

    provider = Provider.one(session)
    if provider is None:
        say(FAIL, "no directory imported: `flask --app hotline import FILE`")
        return found
    number = fallback.number(app)  # what the fallback path will dial, without the database
    if number is None:
        say(FAIL, "the fallback path knows no fallback number (HOTLINE_FALLBACK_NUMBER, or "
            "instance/fallback.json written by an import on this host): a failure would leave "
            "callers with voicemail only")  # fmt: skip
    elif number == provider.central_number:
        say(FAIL, f"the fallback number {number} is the central number: a failure would make "
            "the hotline ring itself")  # fmt: skip
    else:
        say(OK, f"fallback number {number} (known without the database)")
        if provider.fallback_number and provider.fallback_number != number:
            say(WARN, f"the fallback path dials {number}, the directory says "
                f"{provider.fallback_number}")  # fmt: skip

    for level, text in directory_findings(session, provider):
        say(level, text)
    for level, text in webhook_findings(session):
        say(level, text)

    report = roster.gap_report(session, now, now + timedelta(days=days))
    shown_in = zone(session)
    for gap in report.gaps:
        where = f"team {gap.team}" if gap.team else "the cross-team pool"
        start, end = local(gap.starts_at, shown_in), local(gap.ends_at, shown_in)
        span = f"{start:%a %d.%m. %H:%M} to {end:%a %d.%m. %H:%M}"
        say(WARN, f"nobody reachable on call for {where}, {span}")
    for person in report.unreachable:
        say(WARN, f"{person.engineer} is on call ({person.team} {person.layer}) but "
                  f"{person.reason}")  # fmt: skip
    if not report.gaps and not report.unreachable:
        say(OK, f"someone reachable is on call for every team for the next {days} days")
    return found


def webhook_findings(session: Session) -> Iterator[tuple[str, str]]:
    """A ticket system whose secret or token is not set gets nothing (its deliveries wait), and
    failed deliveries wait for someone to send them again (docs/webhooks.md)."""
    for target in targets.targets(session):
        names = [target.secret, target.zammad.token if target.zammad else None]
        missing = [n for n in names if n and targets.setting(n) is None]
        if missing:
            yield WARN, (f"webhook {target.key}: {', '.join(missing)} not set, its deliveries "
                         "wait")  # fmt: skip
        else:
            yield OK, f"webhook {target.key}: {target.format} to {target.url}"
    failed = session.scalar(select(func.count(Delivery.id)).where(Delivery.status == "failed"))
    if failed:
        yield WARN, (f"{failed} webhook deliveries failed: `flask --app hotline webhooks "
                     "--status failed`, then --retry ID")  # fmt: skip


def directory_findings(session: Session, provider: Provider) -> Iterator[tuple[str, str]]:
    """What the stored directory does to calls: routing errors fail, routing warnings warn
    (the import made someone confirm them), and settings or holiday regions stored before the
    import checked them fail, because the next displacement check or billing run would."""
    listed = [
        routing.Listed(number, kind, value, f"customer {number} ({kind})")
        for number, kind, value in session.execute(
            select(Customer.number, Phone.kind, Phone.value)
            .join(Phone, Phone.customer_id == Customer.id)
            .order_by(Customer.number, Phone.id)
        ).tuples()
    ]
    own = [
        (f"the provider's {name.replace('_', ' ')}", getattr(provider, name))
        for name in ("central_number", "fallback_number", "office_number")
    ]
    engineers = session.scalars(select(Engineer).order_by(Engineer.key)).all()
    known = [routing.Known(n, where, central="central" in where) for where, n in own if n] + [
        routing.Known(number, f"engineer {e.key}'s {'mobile' if i == 0 and e.mobile else 'phone'}")
        for e in engineers
        for i, number in enumerate(e.numbers())
    ]
    for finding in routing.findings(listed, known):
        level = FAIL if finding.level == routing.ERROR else WARN
        yield level, f"{finding.where}: {finding.text}"
    try:
        Settings.model_validate(provider.settings or {})
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            yield FAIL, f"provider settings {where}: {error['msg']} (import the directory again)"
    stored = [("the provider", provider.holiday_region)] + [
        (f"team {key}", region)
        for key, region in session.execute(
            select(Team.key, Team.holiday_region).where(Team.holiday_region.is_not(None))
        ).tuples()
    ]
    for who, region in stored:
        if region not in regions.REGIONS:
            yield FAIL, f"{who}: holiday region {region!r} is unknown (import the directory again)"


def twilio(app: Flask, session: Session) -> list[Finding]:
    """The central number's live configuration at Twilio, read back and compared with what
    `twilio-setup` sets (a REST call: only `check` asks, never a health probe)."""
    from twilio.base.exceptions import TwilioException

    from hotline import notify, twilio_setup

    provider = Provider.one(session)
    number = fallback.number(app)
    if provider is None or number is None or not app.config["TWILIO_ACCOUNT_SID"]:
        return []  # reported above
    try:
        client = notify.twilio_client()
        assert client is not None
        problems = twilio_setup.inspect(client, app, number, provider.central_number)
    except (TwilioException, OSError, RuntimeError) as exc:
        status = _status(exc)
        if status in (401, 403):
            text = (
                f"Twilio refuses TWILIO_ACCOUNT_SID with this TWILIO_AUTH_TOKEN ({status}): "
                "every webhook's signature check would fail"
            )
            return [Finding(FAIL, text)]
        return [Finding(WARN, f"could not read the number's configuration at Twilio: {exc}")]
    if not problems:
        return [Finding(OK, f"Twilio: {provider.central_number} points here, the fallback "
                        "Twilio serves dials the fallback number")]  # fmt: skip
    return [Finding(FAIL, f"Twilio: {problem}") for problem in problems]


def _status(exc: Exception) -> int | None:
    """The HTTP status of a Twilio error: a REST error carries it, a list page's error carries
    the response."""
    status = getattr(exc, "status", None)
    if status is None and len(exc.args) > 1:
        status = getattr(exc.args[1], "status_code", None)
    return int(status) if status is not None else None
