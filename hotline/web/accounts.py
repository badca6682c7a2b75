"""`/accounts`: the admin's accounts, invitations, API tokens and the audit log.

Doors into `hotline/accounts.py` (the same services as `flask users` and `flask api-token`);
every change is written to the audit log under the admin's name. An invitation's one-time link
goes only to the invited person (e-mail or SMS), and an API token is shown once, on the answer
to the form that made it, and kept only as its hash.
"""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from escalation.access import Permission
from hotline import accounts, clock, db
from hotline.models import ApiToken, AuditEntry, Engineer, User
from hotline.web import access, web
from hotline.web.words import ROLES

PAGE_SIZE = 50  # audit lines per page


def _user(user_id: int) -> User:
    found = db.session().get(User, user_id)
    if found is None:
        abort(404)
    return found


def _back() -> ResponseReturnValue:
    return redirect(url_for("web.accounts"))


def _page(**extra: object) -> str:
    session = db.session()
    return render_template(
        "accounts/accounts.html",
        users=session.scalars(
            select(User).options(selectinload(User.engineer)).order_by(User.email)
        ).all(),
        tokens=session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).all(),
        engineers=session.scalars(
            select(Engineer).where(Engineer.active.is_(True)).order_by(Engineer.name)
        ).all(),
        engineer_key={e.id: e.key for e in session.scalars(select(Engineer))},
        roles=ROLES, zone=clock.zone(session), **extra,
    )  # fmt: skip


@web.get("/accounts", endpoint="accounts")
@access.needs(Permission.ACCOUNTS)
def accounts_page() -> str:
    return _page()


@web.post("/accounts")
@access.needs(Permission.ACCOUNTS)
def invite_account() -> ResponseReturnValue:
    """A new account without a password, and its one-time link by e-mail or SMS."""
    session = db.session()
    form = request.form
    at = clock.now()
    try:
        user = accounts.create(session, form.get("email", "")[:200], form.get("role", ""), at,
                               name=form.get("name", "").strip()[:200],
                               engineer=form.get("engineer") or None)  # fmt: skip
        to = accounts.send_invite(session, user, form.get("channel", "email"), at,
                                  form.get("mobile", "").strip()[:40] or None)  # fmt: skip
    except accounts.AccountError as exc:
        session.rollback()
        flash(str(exc))
        return _back()
    access.audit("invite account", f"user {user.email}", role=user.role, to=to)
    session.commit()
    flash(f"Konto {user.email} angelegt; der Einladungslink geht an {to}.")
    return _back()


@web.post("/accounts/<int:user_id>/invite")
@access.needs(Permission.ACCOUNTS)
def reinvite_account(user_id: int) -> ResponseReturnValue:
    """A fresh one-time link (e.g. a lost password); earlier links stay valid until used."""
    session = db.session()
    user = _user(user_id)
    try:
        to = accounts.send_invite(session, user, request.form.get("channel", "email"),
                                  clock.now())  # fmt: skip
    except accounts.AccountError as exc:
        flash(str(exc))
        return _back()
    access.audit("invite account", f"user {user.email}", to=to)
    session.commit()
    flash(f"Neuer Einladungslink für {user.email} geht an {to}.")
    return _back()


@web.post("/accounts/<int:user_id>/role")
@access.needs(Permission.ACCOUNTS)
def change_role(user_id: int) -> ResponseReturnValue:
    session = db.session()
    user = _user(user_id)
    before = user.role
    try:
        accounts.change_role(session, user, request.form.get("role", ""),
                             request.form.get("engineer") or None)  # fmt: skip
    except accounts.AccountError as exc:
        session.rollback()
        flash(str(exc))
        return _back()
    access.audit("change role", f"user {user.email}", before=before, after=user.role,
                 engineer=user.engineer.key if user.engineer else None)  # fmt: skip
    session.commit()
    flash(f"{user.email}: {ROLES.get(user.role, user.role)}.")
    return _back()


@web.post("/accounts/<int:user_id>/active")
@access.needs(Permission.ACCOUNTS)
def set_active(user_id: int) -> ResponseReturnValue:
    session = db.session()
    user = _user(user_id)
    active = request.form.get("active") == "1"
    try:
        accounts.set_active(session, user, active)
    except accounts.AccountError as exc:
        flash(str(exc))
        return _back()
    access.audit("enable account" if active else "disable account", f"user {user.email}")
    session.commit()
    flash(f"{user.email} ist {'wieder aktiv' if active else 'deaktiviert'}.")
    return _back()


@web.post("/accounts/tokens")
@access.needs(Permission.ACCOUNTS)
def create_token() -> ResponseReturnValue:
    """A new API token, shown on this answer only (never stored, never in a redirect)."""
    session = db.session()
    name = request.form.get("name", "").strip()[:100]
    if not name:
        flash("Ein Token braucht einen Namen (wer oder was ihn benutzt).")
        return _back()
    try:
        token, raw = accounts.create_token(
            session,
            name,
            request.form.get("role", ""),
            clock.now(),
            request.form.get("engineer") or None,
        )
    except (accounts.AccountError, ValueError) as exc:
        session.rollback()
        flash(str(exc) if isinstance(exc, accounts.AccountError) else "Unbekannte Rolle.")
        return _back()  # fmt: skip
    access.audit("create api token", f"token {token.id}", role=token.role, name=name)
    session.commit()
    return _page(new_token=(token, raw))


@web.post("/accounts/tokens/<int:token_id>/revoke")
@access.needs(Permission.ACCOUNTS)
def revoke_token(token_id: int) -> ResponseReturnValue:
    session = db.session()
    token = session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    accounts.revoke_token(token, clock.now())
    access.audit("revoke api token", f"token {token.id}", name=token.name)
    session.commit()
    flash(f"Token „{token.name}“ widerrufen.")
    return _back()


@web.get("/accounts/audit")
@access.needs(Permission.ACCOUNTS)
def audit_log() -> str:
    """Who did what when, newest first, PAGE_SIZE lines a page."""
    session = db.session()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    total = session.scalar(select(func.count(AuditEntry.id))) or 0
    entries = session.scalars(
        select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()  # fmt: skip
    pages = max(-(-total // PAGE_SIZE), 1)
    return render_template(
        "accounts/audit.html", entries=entries, page=page, pages=pages, total=total,
        zone=clock.zone(session),
        detail=lambda d: json.dumps(d, ensure_ascii=False, sort_keys=True) if d else "",
    )  # fmt: skip
