"""Who is asking: an account logged in with a session, a signed ticket link, or an API token.

Every page and API route names the permission it needs (`needs`); what a role may is decided in
`escalation/access.py` alone. Sessions live in Flask's signed cookie (HttpOnly, SameSite=Lax,
Secure behind HTTPS) and end after `HOTLINE_SESSION_IDLE_MINUTES` without a request or
`HOTLINE_SESSION_HOURS` after the login, whichever comes first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for

from escalation.access import Permission, Role, may, sees_ticket
from hotline import accounts, db
from hotline.clock import now
from hotline.models import User

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Who:
    """The person (or program) behind a request."""

    kind: str  # "user" | "link" | "token"
    name: str  # the account's e-mail, the link's reader, the token's name
    role: Role | None
    engineer: str | None = None  # their engineer key in the directory
    user_id: int | None = None
    language: str = "de"
    ticket: int | None = None  # a link opens this one ticket only

    def may(self, permission: Permission) -> bool:
        return may(self.role, permission)

    def sees(self, ticket_id: int, chain: Iterable[str | None]) -> bool:
        if self.kind == "link":
            return self.ticket == ticket_id
        return sees_ticket(self.role, self.engineer, chain)


def current() -> Who | None:
    return g.get("who")


def login(user: User) -> None:
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["since"] = session["seen"] = now().timestamp()


def logout() -> None:
    session.clear()


def load_user() -> None:
    """Before each page request: the logged-in account, if the session is still alive."""
    uid = session.get("uid")
    if uid is None:
        return
    at = now().timestamp()
    config = current_app.config
    idle = timedelta(minutes=config["HOTLINE_SESSION_IDLE_MINUTES"]).total_seconds()
    longest = timedelta(hours=config["HOTLINE_SESSION_HOURS"]).total_seconds()
    user = db.session().get(User, uid)
    if (
        user is None
        or not user.active
        or at - float(session.get("seen", 0)) > idle
        or at - float(session.get("since", 0)) > longest
    ):
        session.clear()
        g.expired = True
        return
    if at - float(session.get("seen", 0)) > 60:  # keep the cookie quiet between requests
        session["seen"] = at
    g.who = Who("user", user.email, Role(user.role), user.engineer.key if user.engineer else None,
                user.id, user.language or "de")  # fmt: skip


def needs(permission: Permission | None = None) -> Callable[[F], F]:
    """A page for logged-in accounts holding `permission` (None: any account)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            who = current()
            if who is None or who.kind == "link":
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if permission is not None and not who.may(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapper.needs = permission  # type: ignore[attr-defined]  # read by the matrix test
        return wrapper  # type: ignore[return-value]

    return decorate


def audit(action: str, subject: str | None = None, at: datetime | None = None,
          **detail: Any) -> None:  # fmt: skip
    """Record a change or a view of personal data under the name of whoever asks."""
    who = current()
    actor = f"{who.kind}:{who.name}" if who else "anonymous"
    accounts.audit(db.session(), actor, action, at or now(), subject, **detail)
