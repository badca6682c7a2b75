"""SQLAlchemy 2.0 typed models: the directory, the rota, tickets, appointments and the outbox.

Every instant is stored as UTC (see `UTCDateTime`); planning and display convert to the
provider's zone. Money and hours are `Numeric`, read back as `Decimal`.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    inspect,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from escalation import wallclock
from escalation.chain import Chain

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike.

    Naive values are refused: a naive time is a bug waiting for the next DST change.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# --- the directory -------------------------------------------------------------------------


class Provider(Base):
    """The one provider this deployment serves (a single row)."""

    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    central_number: Mapped[str | None] = mapped_column(String(32))
    fallback_number: Mapped[str | None] = mapped_column(String(32))
    office_number: Mapped[str | None] = mapped_column(String(32))
    support_email: Mapped[str | None] = mapped_column(String(200))
    blocked_numbers: Mapped[list[str] | None] = mapped_column(JSON)  # E.164 numbers/prefixes
    timezone: Mapped[str] = mapped_column(String(64), default=wallclock.DEFAULT_ZONE)
    # A German state or a state's sub-region (escalation/regions.py), e.g. BE, BY-catholic.
    holiday_region: Mapped[str] = mapped_column(String(32), default="BE")
    # Escalation policy default for all teams; shape defined in escalation/chain.py.
    policy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Working hours and emergency defaults for appointments and billing (escalation/).
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The webhook targets (ticket systems) as the directory gives them: [{"key", "url",
    # "format", "secret", "events", "zammad"}]; read by hotline/outbound/targets.py.
    webhooks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    @classmethod
    def one(cls, session: Session) -> Provider | None:
        """The provider of this deployment (None before a directory is imported); read once
        per session (a call's confirmation asks for it several times)."""
        known = session.info.get(cls)
        if known is not None and inspect(known).persistent and inspect(known).session is session:
            return known  # type: ignore[no-any-return]
        found = session.scalars(select(cls).order_by(cls.id).limit(1)).first()
        session.info[cls] = found
        return found


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    project_lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("engineers.id", use_alter=True, ondelete="SET NULL")
    )
    policy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The team's own holiday region where it differs from the provider's (None: the provider's).
    holiday_region: Mapped[str | None] = mapped_column(String(32))
    calendar_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)

    project_lead: Mapped[Engineer | None] = relationship(foreign_keys=[project_lead_id])
    engineers: Mapped[list[Engineer]] = relationship(
        back_populates="team", foreign_keys="Engineer.team_id", order_by="Engineer.key"
    )
    customers: Mapped[list[Customer]] = relationship(back_populates="team")


class Engineer(Base):
    __tablename__ = "engineers"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    role: Mapped[str] = mapped_column(String(32), default="consultant")  # project_lead|consultant
    mobile: Mapped[str | None] = mapped_column(String(32))  # E.164: rung first, gets the SMS
    # Further phones after the mobile, in the order a level with `phones: all` rings them:
    # [{"number": E.164, "label": "Festnetz"}], checked by escalation.chain.parse_phones.
    phones: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    calendar_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    # The emergency this engineer is being rung for or is bridged to: an atomic claim, so that
    # two emergencies never ring the same engineer at once (hotline/calls.py). A claim ends at
    # `busy_until` (the ring plus a margin, or Twilio's longest call once bridged) even if the
    # webhook that would release it never comes.
    busy_ticket_id: Mapped[int | None] = mapped_column(Integer)
    busy_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    busy_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # round-robin order

    team: Mapped[Team | None] = relationship(back_populates="engineers", foreign_keys=[team_id])

    def numbers(self) -> list[str]:
        """Every number of this engineer, the mobile first: where a call to them may go."""
        return [n for n in [self.mobile, *(p.get("number") for p in self.phones or [])] if n]


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # Kundennummer
    name: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(8), default="de")
    pin: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(200))
    sms_number: Mapped[str | None] = mapped_column(String(32))
    documentation_url: Mapped[str | None] = mapped_column(String(500))
    emergency_notes: Mapped[str | None] = mapped_column(Text)

    team: Mapped[Team | None] = relationship(back_populates="customers")
    contact: Mapped[Engineer | None] = relationship(foreign_keys=[contact_id])
    phones: Mapped[list[Phone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Phone.id"
    )
    contract: Mapped[Contract | None] = relationship(
        back_populates="customer", cascade="all, delete-orphan", uselist=False
    )
    # The status e-mail: sent by this project lead (None: the team's), to these addresses
    # (None: `email`); after each JourFixe of `jourfixe`, the rhythm.
    project_lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("engineers.id", ondelete="SET NULL")
    )
    status_recipients: Mapped[list[str] | None] = mapped_column(JSON)
    project_lead: Mapped[Engineer | None] = relationship(foreign_keys=[project_lead_id])
    jourfixe: Mapped[JourFixe | None] = relationship(
        back_populates="customer", cascade="all, delete-orphan", uselist=False
    )
    gl_jourfixes: Mapped[list[GLJourFixe]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="GLJourFixe.at"
    )
    cancelled_jourfixes: Mapped[list[CancelledJourFixe]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CancelledJourFixe.day"
    )


class Phone(Base):
    """A customer's phone number: an exact E.164 number, or a block (an E.164 prefix)."""

    __tablename__ = "phones"
    __table_args__ = (UniqueConstraint("customer_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # number | block
    value: Mapped[str] = mapped_column(String(32), index=True)
    label: Mapped[str | None] = mapped_column(String(100))

    customer: Mapped[Customer] = relationship(back_populates="phones")


class Contract(Base):
    """The service contract's billing terms (Servicevertrag)."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), unique=True
    )
    monthly_hours: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"))
    hourly_rate: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    billing_increment_minutes: Mapped[int] = mapped_column(Integer, default=15)
    minimum_minutes: Mapped[int] = mapped_column(Integer, default=0)
    surcharge_percent: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("0"))
    surcharge_flat: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    # Expected emergency duration for displacement checks; None: the provider default.
    emergency_minutes: Mapped[int | None] = mapped_column(Integer)
    # How the quota changed: [{"since": "2026-01", "hours": "30"}, ...], oldest first; a month
    # before the first step is billed with `monthly_hours` (escalation.billing.quota_in_force).
    quota_history: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)

    customer: Mapped[Customer] = relationship(back_populates="contract")


class JourFixe(Base):
    """A customer's JourFixe rhythm (escalation.jourfixe.Rhythm): every `every_weeks` weeks on
    `weekday` (0 = Monday) at the wall-clock time `at` ("10:00"), from the first such weekday on
    or after `start`, for `minutes`. Its occurrences are computed, never stored."""

    __tablename__ = "jourfixes"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), unique=True
    )
    weekday: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(5))
    every_weeks: Mapped[int] = mapped_column(Integer, default=1)
    start: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer, default=120)

    customer: Mapped[Customer] = relationship(back_populates="jourfixe")


class GLJourFixe(Base):
    """A GL-JourFixe: the half-yearly meeting with the customer's management."""

    __tablename__ = "gl_jourfixes"
    __table_args__ = (UniqueConstraint("customer_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship(back_populates="gl_jourfixes")


class CancelledJourFixe(Base):
    """A day of a customer's JourFixe rhythm that does not take place: no status e-mail goes
    out for it, the next one reports since the last JourFixe that took place. Kept apart from
    the directory's rhythm (a directory import changes the rhythm, not these)."""

    __tablename__ = "cancelled_jourfixes"
    __table_args__ = (UniqueConstraint("customer_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    by: Mapped[str] = mapped_column(String(64))  # the account that cancelled it
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship(back_populates="cancelled_jourfixes")


# --- the rota ------------------------------------------------------------------------------


class Rotation(Base):
    """One version of one layer of a team's on-call rotation; rules in escalation/rota.py.

    Editing a rotation never rewrites its past: every version is a row with the same key, in
    force from `valid_from` (None: since ever) until `valid_until` (None: for good). The
    directory import ends the version in force at the next hand-off and starts the new one there.
    """

    __tablename__ = "rotations"
    __table_args__ = (UniqueConstraint("key", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    layer: Mapped[str] = mapped_column(String(32), default="primary")  # primary | secondary
    shift: Mapped[str] = mapped_column(String(16), default="1w")  # 12h, 1d, 1w, 2w ...
    handoff: Mapped[str] = mapped_column(String(32), default="Mon 08:00")
    start: Mapped[date] = mapped_column(Date)
    # Time restriction (business hours, after hours, weekdays ...); shape in escalation/rota.py.
    restriction: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team] = relationship()
    members: Mapped[list[RotationMember]] = relationship(
        cascade="all, delete-orphan", order_by="RotationMember.position"
    )


class RotationMember(Base):
    __tablename__ = "rotation_members"
    __table_args__ = (UniqueConstraint("rotation_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(ForeignKey("rotations.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    engineer_id: Mapped[int] = mapped_column(ForeignKey("engineers.id", ondelete="CASCADE"))

    engineer: Mapped[Engineer] = relationship()


class Override(Base):
    """Someone replaces someone (or is added) on a team's rota for a period."""

    __tablename__ = "overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    layer: Mapped[str] = mapped_column(String(32), default="primary")
    engineer_id: Mapped[int] = mapped_column(ForeignKey("engineers.id", ondelete="CASCADE"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    team: Mapped[Team] = relationship()
    engineer: Mapped[Engineer] = relationship(foreign_keys=[engineer_id])
    replaces: Mapped[Engineer | None] = relationship(foreign_keys=[replaces_id])


class Absence(Base):
    """Vacation, sickness: the engineer is off the rota and the next member covers."""

    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    engineer_id: Mapped[int] = mapped_column(ForeignKey("engineers.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(64))

    engineer: Mapped[Engineer] = relationship()


# --- emergencies ---------------------------------------------------------------------------


class Ticket(Base):
    """One emergency call, keyed by the caller leg's CallSid so a retried webhook finds it."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    # The caller ID as sent (control characters removed, at most 256 characters: a SIP address
    # can be long), and its E.164 (None when withheld); `to_number` is the E.164 called.
    from_raw: Mapped[str | None] = mapped_column(String(256))
    from_number: Mapped[str | None] = mapped_column(String(32), index=True)  # repeat calls
    to_number: Mapped[str | None] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    # number | block | keypad | pin | assigned (an unidentified caller's customer, found later)
    identified_by: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8), default="de")
    # escalation.callflow.State; `question`/`question_try`: the keypad question now open.
    state: Mapped[str] = mapped_column(String(24), default="identifying", index=True)
    question: Mapped[str | None] = mapped_column(String(16))
    question_try: Mapped[int] = mapped_column(Integer, default=0)
    typed: Mapped[bool] = mapped_column(Boolean, default=False)  # the caller pressed a key
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heard_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # Twilio's last word on it
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The escalation chain frozen at confirmation: {"version": 1, "entries", "skipped"}, read
    # back with `frozen_chain()` into escalation.chain.Chain.
    chain: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    accepted_attempt_id: Mapped[int | None] = mapped_column(Integer)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bridged_seconds: Mapped[int | None] = mapped_column(Integer)
    callback_seconds: Mapped[int | None] = mapped_column(Integer)  # talked on call-backs: billed
    voicemail_url: Mapped[str | None] = mapped_column(String(500))
    voicemail_seconds: Mapped[int | None] = mapped_column(Integer)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    call_seconds: Mapped[int | None] = mapped_column(Integer)
    status_sequence: Mapped[int | None] = mapped_column(Integer)  # last status SequenceNumber
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    work_minutes: Mapped[int] = mapped_column(Integer, default=0)  # logged work after the call
    notes: Mapped[str | None] = mapped_column(Text)
    surcharge_waived_reason: Mapped[str | None] = mapped_column(Text)
    surcharge_waived_by_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id"))
    displacement_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How this call meets its engineer (escalation.chain.BRIDGES): None or "dial" rings one
    # `<Dial>` after the other; "conference" holds the caller in a conference the engineers'
    # REST-created legs join. A conference whose REST calls fail falls back to "dial" for good.
    bridge: Mapped[str | None] = mapped_column(String(16))

    customer: Mapped[Customer | None] = relationship()
    accepted_by: Mapped[Engineer | None] = relationship(foreign_keys=[accepted_by_id])
    attempts: Mapped[list[Attempt]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="Attempt.seq"
    )
    events: Mapped[list[Event]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="Event.id"
    )
    repeat_calls: Mapped[list[RepeatCall]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="RepeatCall.id"
    )
    legs: Mapped[list[Leg]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="Leg.id"
    )

    @property
    def conference(self) -> bool:
        return self.bridge == "conference"

    def frozen_chain(self) -> Chain:
        """The chain this call walks (empty before the emergency was confirmed)."""
        return Chain.from_json(self.chain)


class Attempt(Base):
    """One screened `<Dial>` of one chain entry for one ticket."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("ticket_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... in the order dialled
    entry: Mapped[int] = mapped_column(Integer)  # index into the ticket's frozen chain
    level: Mapped[str] = mapped_column(String(32))
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id"))
    number: Mapped[str] = mapped_column(String(32))
    timeout: Mapped[int | None] = mapped_column(Integer)  # seconds it was let ring
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # whisper reached
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16), default="ringing")  # callflow.Outcome
    dial_status: Mapped[str | None] = mapped_column(String(16))
    bridged: Mapped[bool | None] = mapped_column(Boolean)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    child_call_sid: Mapped[str | None] = mapped_column(String(64))

    ticket: Mapped[Ticket] = relationship(back_populates="attempts")
    engineer: Mapped[Engineer | None] = relationship()


class Leg(Base):
    """One call the hotline places itself through Twilio's REST API, for a ticket.

    `purpose` says why (escalation.legs.Purpose): an engineer rung into the conference bridge,
    one pulled in with `*`, a voice re-page, a call-back. The dialer sends a queued leg after the
    request that queued it committed (never inside a voice request), and the leg's status
    callback and the conference's events fill in what became of it: the ticket's record of
    every leg (who, rang from/to, answered, pressed, joined, left).
    """

    __tablename__ = "legs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id", ondelete="SET NULL"))
    purpose: Mapped[str] = mapped_column(String(16))
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id", ondelete="SET NULL"))
    to_number: Mapped[str] = mapped_column(String(32))
    from_number: Mapped[str | None] = mapped_column(String(32))
    endpoint: Mapped[str] = mapped_column(String(32))  # the voice handler its TwiML comes from
    timeout: Mapped[int] = mapped_column(Integer, default=20)
    # queued -> sent (Twilio took it) -> Twilio's CallStatus; "error": the REST API refused or
    # did not answer (`error` says what).
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error: Mapped[str | None] = mapped_column(String(200))
    stop: Mapped[bool] = mapped_column(Boolean, default=False)  # hang it up (the dialer does)
    stopped: Mapped[bool] = mapped_column(Boolean, default=False)  # the hang-up was sent
    pressed: Mapped[str | None] = mapped_column(String(8))  # the key the engineer pressed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the conference
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seconds: Mapped[int | None] = mapped_column(Integer)  # Twilio's CallDuration
    # A voice re-page (escalation/repage.py): its round, and the chain entry it rings (the
    # project lead's phones -1, -2, ...), so the next decision knows who was rung when.
    repage_round: Mapped[int | None] = mapped_column(Integer)
    chain_entry: Mapped[int | None] = mapped_column(Integer)
    # A call-back (hotline/callback.py): seconds the engineer talked to the customer through
    # the hotline on this leg (Twilio's DialCallDuration): phone time on the ticket.
    talk_seconds: Mapped[int | None] = mapped_column(Integer)

    ticket: Mapped[Ticket] = relationship(back_populates="legs")
    engineer: Mapped[Engineer | None] = relationship()
    attempt: Mapped[Attempt | None] = relationship()


class RepeatCall(Base):
    """A later call from the number of an open emergency, joined to its ticket instead of
    opening a second one (escalation/repeat.py). One that takes the ticket over (`joins` walk)
    becomes the ticket's call: `Ticket.call_sid` is its CallSid from then on."""

    __tablename__ = "repeat_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    joins: Mapped[str] = mapped_column(String(16))  # escalation.repeat.Joins
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Taken over: the call it took over from, and the first attempt (seq) that is its own.
    earlier_call_sid: Mapped[str | None] = mapped_column(String(64))
    first_attempt: Mapped[int | None] = mapped_column(Integer)
    # The message left on it (a call that did not take the ticket over may leave one).
    recording_url: Mapped[str | None] = mapped_column(String(500))
    recording_seconds: Mapped[int | None] = mapped_column(Integer)

    ticket: Mapped[Ticket] = relationship(back_populates="repeat_calls")


class Answer(Base):
    """The TwiML a voice webhook gave, kept so that a repeated request gets the same answer.

    Twilio retries a request it got no answer to, and may send it again while the first is still
    running; `key` is a digest of the request (path, query and form), and the per-call lock
    (hotline/voice/guard.py) makes the second one wait for the first and read its answer here.
    The answers hold names and spoken numbers, so they are kept for a day only.
    """

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[int] = mapped_column(Integer)
    mimetype: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Event(Base):
    """One line of a ticket's timeline, in the order it happened."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(64))  # escalation.callflow.Kind
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


# --- appointments --------------------------------------------------------------------------


class Appointment(Base):
    """An engineer's planned appointment with a customer; lifecycle in escalation/."""

    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_engineer_start", "engineer_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # stable id from the source
    engineer_id: Mapped[int] = mapped_column(ForeignKey("engineers.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(300), default="")
    onsite: Mapped[bool] = mapped_column(Boolean, default=False)
    # planned | at_risk | kept | reassigned | rescheduled | cancelled
    status: Mapped[str] = mapped_column(String(16), default="planned", index=True)

    # The time before the first reschedule, for the customer notice and the billing trace.
    original_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    original_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    engineer: Mapped[Engineer] = relationship()
    customer: Mapped[Customer | None] = relationship()


class Displacement(Base):
    """An appointment an emergency put at risk, and the dispatcher's decision on it (§2 trace)."""

    __tablename__ = "displacements"
    __table_args__ = (UniqueConstraint("appointment_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the real duration showed the appointment was never in the way.
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))  # kept|reassigned|rescheduled|cancelled
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    appointment: Mapped[Appointment] = relationship()
    ticket: Mapped[Ticket] = relationship()


# --- billing -------------------------------------------------------------------------------


class BillingRun(Base):
    """One month's billing run; once closed, its lines never change."""

    __tablename__ = "billing_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, unique=True)  # the first day of the month
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    lines: Mapped[list[BillingLine]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="BillingLine.id"
    )


class BillingLine(Base):
    """One emergency or time entry as billed, with the minutes (and for an emergency the
    appointments) behind every figure."""

    __tablename__ = "billing_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("billing_runs.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    # Exactly one of the two, each billed once.
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), unique=True)
    time_entry_id: Mapped[int | None] = mapped_column(ForeignKey("time_entries.id"), unique=True)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)  # an entry: its day's start
    phone_seconds: Mapped[int] = mapped_column(Integer)
    work_minutes: Mapped[int] = mapped_column(Integer)
    raw_minutes: Mapped[int] = mapped_column(Integer)
    billed_minutes: Mapped[int] = mapped_column(Integer)
    quota_minutes: Mapped[int] = mapped_column(Integer)
    extra_minutes: Mapped[int] = mapped_column(Integer)
    monthly_hours: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    hourly_rate: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    extra_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    surcharge: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # [{"id", "customer", "title", "starts_at", "outcome"}]: the appointments behind §2.
    displaced: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    surcharge_waived_reason: Mapped[str | None] = mapped_column(Text)

    run: Mapped[BillingRun] = relationship(back_populates="lines")
    customer: Mapped[Customer] = relationship()
    ticket: Mapped[Ticket | None] = relationship()
    time_entry: Mapped[TimeEntry | None] = relationship()


class TimeEntry(Base):
    """Regular support or project work for a customer (not an emergency: those are tickets).

    Entered on the web (/hours) or imported from a ticket system's CSV; an import finds its
    earlier rows again by ticket reference, day and engineer (unique), so it never counts
    twice. Billed in the month of its `day` (provider's zone), once (`BillingLine`).
    """

    __tablename__ = "time_entries"
    __table_args__ = (UniqueConstraint("reference", "day", "engineer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    engineer_id: Mapped[int] = mapped_column(ForeignKey("engineers.id"))
    day: Mapped[date] = mapped_column(Date, index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str | None] = mapped_column(String(64))  # the ticket system's ticket
    billable: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(16), default="web")  # web | import
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))  # the account, or "import FILE"

    customer: Mapped[Customer] = relationship()
    engineer: Mapped[Engineer] = relationship()


# --- messages out --------------------------------------------------------------------------


class Message(Base):
    """An SMS or e-mail waiting to go out, sent by the worker, never inside a voice request.

    `dedupe_key` makes enqueueing idempotent: a repeated Twilio request enqueues nothing new.
    """

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(8))  # sms | email
    to: Mapped[str] = mapped_column(String(1000))  # e-mail: one or more, "a@x, b@y"
    # An e-mail sent for a person (a status e-mail, for the project lead): From is the
    # hotline's address under `sender_name`, and answers go to `reply_to`.
    sender_name: Mapped[str | None] = mapped_column(String(200))
    reply_to: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    # pending | sent | failed
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    external_id: Mapped[str | None] = mapped_column(String(64))  # Twilio SID / Message-ID
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Delivery(Base):
    """One event of a ticket for one webhook target (a ticket system), sent by the worker.

    Written in the transaction of the event itself, so an event that happened has its delivery
    and one rolled back has none; sent later by the worker, so no voice request ever waits for a
    ticket system. `body` is the event in the generic format (docs/webhooks.md), the bytes a
    generic target gets on every try. `external_id` is the ticket system's own ticket once it
    made one (Zammad's ticket id): the ticket's later events are added to it.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_target_ticket", "target", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # one per event and target
    target: Mapped[str] = mapped_column(String(64))  # the target's key in the directory
    event: Mapped[str] = mapped_column(String(32))  # hotline.outbound.events.EVENTS
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)  # emptied by the retention purge once sent
    # pending | delivered | failed
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)  # the last try's HTTP status
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    external_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    attempts: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="delivery", cascade="all, delete-orphan", order_by="DeliveryAttempt.id"
    )


class DeliveryAttempt(Base):
    """One try of a delivery: the delivery log's line (what the target answered, or why not)."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)  # None: no answer at all
    error: Mapped[str | None] = mapped_column(Text)
    milliseconds: Mapped[int] = mapped_column(Integer)

    delivery: Mapped[Delivery] = relationship(back_populates="attempts")


class Lease(Base):
    """A named lock in the database, so that two worker processes never run one job run twice.

    APScheduler 3 does not coordinate processes; `hotline/scheduler.py` claims a job's lease with
    one conditional UPDATE before running it. `last_run_at` tells a second process's late copy
    of the same run apart from the next run.
    """

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- the people who run the hotline --------------------------------------------------------


class User(Base):
    """An account of the web app and the API: a role, and for an engineer their directory entry.

    The password is kept as an Argon2 hash (hotline/accounts.py); `language` is the pages'.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))  # escalation.access.Role
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id", ondelete="SET NULL"))
    password_hash: Mapped[str | None] = mapped_column(String(200))  # None: invited, not yet set
    language: Mapped[str] = mapped_column(String(8), default="de")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)  # made by seed-demo
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    engineer: Mapped[Engineer | None] = relationship()


class Invite(Base):
    """A one-time link that lets an invited person set their password (hash of the token)."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A bearer token of the JSON API: shown once, kept as its SHA-256, revocable."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """A failed login, counted per address and per client to slow down guessing."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AuditEntry(Base):
    """Who did what when: every change and every view of a voicemail (read by an admin)."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200))  # the account's e-mail, a token's name, a link
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(100))  # e.g. "ticket 12"
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# --- the hotline watching itself -----------------------------------------------------------


class Heartbeat(Base):
    """The last sign of life of a kind of process ("worker", "web"): each writes its row every
    half minute, and each checks the other's (the dead-man's switch, hotline/watch.py)."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))  # host:pid of the process that wrote last
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Alarm(Base):
    """One alarm's state, so that it is sent once when it starts and once when it ends: the
    raise and the recovery are each one conditional UPDATE (two processes never both send)."""

    __tablename__ = "alarms"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # escalation.alarms.Key
    raised: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[datetime] = mapped_column(UTCDateTime)  # when it was raised or cleared
    detail: Mapped[str | None] = mapped_column(Text)  # what the raising message said


class Tally(Base):
    """Events counted per minute that no other table records (a webhook refused for its
    signature): counted in the database so every web process adds to the same figure."""

    __tablename__ = "tallies"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    minute: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
