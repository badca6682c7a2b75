"""Accounts of the web app and the API: passwords, logins, invitations, tokens, the audit log.

Passwords are Argon2 hashes (argon2-cffi, the password-hashing competition's winner, tuned by its
maintainers' defaults and rehashed when they change). Failed logins are counted in the database,
per address and per client, so guessing is slowed down on every server of a deployment alike.
Invitation links and API tokens are random and kept only as their SHA-256: a leaked database
gives no way in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from escalation.access import Role
from hotline.models import ApiToken, AuditEntry, Engineer, Invite, LoginAttempt, User

HASHER = PasswordHasher()
MIN_PASSWORD = 10
WINDOW = timedelta(minutes=15)  # failed logins are counted over this long
PER_ADDRESS = 5  # failed logins for one address within the window: then wait
PER_CLIENT = 20  # failed logins from one client within the window: then wait
INVITE_DAYS = 3
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Demo accounts (seed-demo): named in the README, refused in production (`insecure`).
DEMO = {
    "admin@demo.example": (Role.ADMIN, None, "Demo Admin", "demo-admin-2026"),
    "dispo@demo.example": (Role.DISPATCHER, None, "Demo Disposition", "demo-dispo-2026"),
    "anna@demo.example": (Role.PROJECT_LEAD, "anna", "Anna Schmidt", "demo-lead-2026"),
    "jonas@demo.example": (Role.ENGINEER, "jonas", "Jonas Weber", "demo-engineer-2026"),
}
_DUMMY = HASHER.hash("an unknown address is checked as long as a known one")


class AccountError(ValueError):
    """A request about accounts that cannot be done, in words for the person who asked."""


class TooManyAttempts(AccountError):
    pass


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Das Passwort braucht mindestens {MIN_PASSWORD} Zeichen.")
    return HASHER.hash(password)


def create(
    session: Session, email: str, role: Role | str, now: datetime, *, name: str = "",
    engineer: str | None = None, password: str | None = None, demo: bool = False,
) -> User:  # fmt: skip
    """A new account; an engineer account names its engineer of the directory."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise AccountError(f"{email!r} ist keine E-Mail-Adresse.")
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(f"Unbekannte Rolle {role!r}: {', '.join(Role)}.") from None
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"Es gibt schon ein Konto für {email}.")
    linked = None
    if engineer is not None:
        linked = session.scalar(select(Engineer).where(Engineer.key == engineer))
        if linked is None:
            raise AccountError(f"Im Verzeichnis gibt es keinen Techniker {engineer!r}.")
    if role is Role.ENGINEER and linked is None:
        raise AccountError("Ein Techniker-Konto braucht --engineer (den Schlüssel im Verzeichnis).")
    user = User(
        email=email, name=name or (linked.name if linked else ""), role=role, engineer=linked,
        password_hash=check_password(password) if password else None, language="de",
        active=True, demo=demo, created_at=now,
    )  # fmt: skip
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session, email: str, password: str, client: str, now: datetime
) -> User | None:
    """The account for these credentials, or None; `TooManyAttempts` while guessing is slowed.

    An unknown address costs as much time as a known one, so the answer tells nothing.
    """
    email = email.strip().lower()[:200]
    since = now - WINDOW
    failed = session.execute(
        select(
            func.count().filter(LoginAttempt.email == email),
            func.count().filter(LoginAttempt.client == client),
        ).where(LoginAttempt.at > since)
    ).one()
    if failed[0] >= PER_ADDRESS or failed[1] >= PER_CLIENT:
        raise TooManyAttempts("Zu viele fehlgeschlagene Anmeldungen. Bitte in 15 Minuten erneut.")
    user = session.scalar(select(User).where(User.email == email, User.active.is_(True)))
    try:
        HASHER.verify(user.password_hash if user and user.password_hash else _DUMMY, password)
        ok = user is not None and user.password_hash is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        session.add(LoginAttempt(email=email, client=client[:64], at=now))
        return None
    if HASHER.check_needs_rehash(user.password_hash or ""):
        user.password_hash = HASHER.hash(password)
    user.last_login_at = now
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
    return user


def invite(session: Session, user: User, now: datetime) -> str:
    """A one-time link token for `user` to set a password (the raw token, shown once)."""
    raw = secrets.token_urlsafe(32)
    session.add(Invite(user=user, token_hash=hash_token(raw),
                       expires_at=now + timedelta(days=INVITE_DAYS)))  # fmt: skip
    return raw


def invitation(session: Session, raw: str, now: datetime) -> Invite | None:
    found = session.scalar(select(Invite).where(Invite.token_hash == hash_token(raw)))
    if found is None or found.used_at is not None or found.expires_at <= now:
        return None
    return found


def redeem(session: Session, raw: str, password: str, now: datetime) -> User:
    """Set the password of an invitation, once."""
    found = invitation(session, raw, now)
    if found is None:
        raise AccountError("Dieser Einladungslink ist abgelaufen oder schon benutzt.")
    found.user.password_hash = check_password(password)
    found.used_at = now
    return found.user


def _last_admin(session: Session, user: User) -> bool:
    """True when `user` is the only active admin: nobody could manage accounts without them."""
    others = session.scalar(
        select(func.count(User.id)).where(
            User.role == Role.ADMIN, User.active.is_(True), User.id != user.id
        )
    )
    return user.role == Role.ADMIN and user.active and not others


def change_role(session: Session, user: User, role: Role | str, engineer: str | None) -> None:
    """Give `user` another role (and engineer of the directory); the last admin stays one."""
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(f"Unbekannte Rolle {role!r}.") from None
    linked = None
    if engineer:
        linked = session.scalar(select(Engineer).where(Engineer.key == engineer))
        if linked is None:
            raise AccountError(f"Im Verzeichnis gibt es keinen Techniker {engineer!r}.")
    if role is Role.ENGINEER and linked is None:
        raise AccountError("Ein Techniker-Konto braucht seinen Techniker aus dem Verzeichnis.")
    if role is not Role.ADMIN and _last_admin(session, user):
        raise AccountError("Das ist das letzte aktive Admin-Konto: es bleibt Admin.")
    user.role, user.engineer = role, linked


def set_active(session: Session, user: User, active: bool) -> None:
    """Disable an account (its sessions end with their next request) or enable it again."""
    if not active and _last_admin(session, user):
        raise AccountError("Das ist das letzte aktive Admin-Konto: es bleibt aktiv.")
    user.active = active


def send_invite(session: Session, user: User, channel: str, now: datetime,
                mobile: str | None = None) -> str:  # fmt: skip
    """A one-time link for `user`, queued by e-mail to the account's address or by SMS to
    `mobile` (default: the engineer's); returns where it went. The link is never shown."""
    from hotline import links, notify, phones, texts

    if channel == "sms":
        raw_number = mobile or (user.engineer.mobile if user.engineer else None)
        if not raw_number:
            raise AccountError("Für eine SMS fehlt die Mobilnummer.")
        try:
            to = phones.normalize(raw_number)
        except ValueError:
            raise AccountError(f"{raw_number!r} ist keine gültige Mobilnummer.") from None
    elif channel == "email":
        to = user.email
    else:
        raise AccountError("Einladen per E-Mail oder SMS.")
    raw = invite(session, user, now)
    context = {"link": links.public("web.invite", token=raw), "days": INVITE_DAYS,
               "person": user.name, "email": user.email}  # fmt: skip
    key = f"invite:{hash_token(raw)}"
    if channel == "sms":
        notify.enqueue_sms(session, to, texts.sms("invite", **context), key)
    else:
        mail = texts.email("invite", **context)
        notify.enqueue_email(session, to, mail.subject, mail.text, key)
    return to


def revoke_token(token: ApiToken, now: datetime) -> None:
    token.revoked_at = token.revoked_at or now


def create_token(
    session: Session, name: str, role: Role | str, now: datetime, engineer: str | None = None
) -> tuple[ApiToken, str]:
    """A new API token: the row and the raw token (shown once, never stored)."""
    role = Role(role)
    linked = None
    if engineer is not None:
        linked = session.scalar(select(Engineer.id).where(Engineer.key == engineer))
        if linked is None:
            raise AccountError(f"Im Verzeichnis gibt es keinen Techniker {engineer!r}.")
    if role is Role.ENGINEER and linked is None:
        raise AccountError("Ein Techniker-Token braucht --engineer.")
    raw = "hl_" + secrets.token_urlsafe(32)
    token = ApiToken(name=name, role=role, engineer_id=linked, token_hash=hash_token(raw),
                     created_at=now)  # fmt: skip
    session.add(token)
    session.flush()
    return token, raw


def by_token(session: Session, raw: str, now: datetime) -> ApiToken | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.revoked_at is not None:
        return None
    token.last_used_at = now
    return token


def audit(session: Session, actor: str, action: str, now: datetime, subject: str | None = None,
          **detail: Any) -> None:  # fmt: skip
    """One line of the audit log (committed with the change it records)."""
    session.add(AuditEntry(at=now, actor=actor, action=action, subject=subject,
                           detail=detail or None))  # fmt: skip


def insecure(session: Session) -> list[str]:
    """Active demo accounts that still have their published password: refused in production."""
    found = []
    for user in session.scalars(select(User).where(User.demo.is_(True), User.active.is_(True))):
        password = DEMO.get(user.email, (None, None, None, None))[3]
        if password and user.password_hash:
            try:
                HASHER.verify(user.password_hash, password)
                found.append(user.email)
            except (VerificationError, InvalidHashError):
                continue  # changed since: fine
    return found


def seed_demo(session: Session, now: datetime) -> list[User]:
    """One demo account per role (seed-demo); existing ones are left as they are."""
    made = []
    for email, (role, engineer, name, password) in DEMO.items():
        if session.scalar(select(User.id).where(User.email == email)) is None:
            made.append(create(session, email, role, now, name=name, engineer=engineer,
                               password=password, demo=True))  # fmt: skip
    return made
