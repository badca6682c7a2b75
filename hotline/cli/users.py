"""Accounts and API tokens: `users add|list|disable|invite`, `api-token create|list|revoke`."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from escalation.access import Role
from hotline import accounts, clock, db, links
from hotline.models import ApiToken, Engineer, User

ROLES = click.Choice([r.value for r in Role])


@click.group("users")
def users() -> None:
    """Accounts of the web app (the first admin too)."""


@users.command("add")
@click.argument("email")
@click.option("--role", type=ROLES, required=True)
@click.option("--engineer", "engineer", metavar="KEY", help="The engineer of the directory.")
@click.option("--name", default="", help="The name shown on pages (default: the engineer's).")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
def add(email: str, role: str, engineer: str | None, name: str, password_stdin: bool) -> None:
    """Create an account; without --password-stdin it gets a one-time link to set one."""
    session = db.session()
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        user = accounts.create(session, email, role, clock.now(), name=name, engineer=engineer,
                               password=password)  # fmt: skip
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    link = None if password else _invite(user)
    accounts.audit(session, "cli", "add account", clock.now(), f"user {user.email}", role=role)
    session.commit()
    click.echo(f"account {user.email} ({user.role}) created")
    if link:
        click.echo(f"one-time link to set the password ({accounts.INVITE_DAYS} days): {link}")


def _invite(user: User) -> str:
    raw = accounts.invite(db.session(), user, clock.now())
    return links.public("web.invite", token=raw)


@users.command("invite")
@click.argument("email")
def invite(email: str) -> None:
    """A new one-time link for an account to set its password."""
    session = db.session()
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no account {email}")
    link = _invite(user)
    session.commit()
    click.echo(link)


@users.command("list")
def list_users() -> None:
    """Every account: e-mail, role, engineer, active, last login."""
    for user in db.session().scalars(select(User).order_by(User.email)):
        last = (
            clock.local(user.last_login_at, clock.zone(db.session())).strftime("%Y-%m-%d %H:%M")
            if user.last_login_at
            else "-"
        )
        click.echo(
            f"{user.email:32} {user.role:13} {user.engineer.key if user.engineer else '-':10} "
            f"{'active' if user.active else 'disabled':9} last login {last}"
            f"{'  (demo)' if user.demo else ''}"
        )


@users.command("disable")
@click.argument("email")
def disable(email: str) -> None:
    """Disable an account: its sessions end with the next request."""
    session = db.session()
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no account {email}")
    user.active = False
    accounts.audit(session, "cli", "disable account", clock.now(), f"user {user.email}")
    session.commit()
    click.echo(f"account {user.email} disabled")


@click.group("api-token")
def api_token() -> None:
    """Bearer tokens of the JSON API (/api/v1)."""


@api_token.command("create")
@click.option("--role", type=ROLES, required=True)
@click.option("--name", required=True, help="Who or what uses it, e.g. 'ticket system'.")
@click.option("--engineer", metavar="KEY", help="For an engineer's token: the engineer.")
def create_token(role: str, name: str, engineer: str | None) -> None:
    """Create a token; it is shown once and kept only as a hash."""
    session = db.session()
    try:
        token, raw = accounts.create_token(session, name, role, clock.now(), engineer)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    accounts.audit(session, "cli", "create api token", clock.now(), f"token {token.id}",
                   role=role, name=name)  # fmt: skip
    session.commit()
    click.echo(f"token {token.id} ({name}, {role}); shown once, keep it safe:\n{raw}")


@api_token.command("list")
def list_tokens() -> None:
    """Every token: id, name, role, engineer, active or revoked, last used (never the token)."""
    session = db.session()
    where = clock.zone(session)
    engineers = dict(session.execute(select(Engineer.id, Engineer.key)).tuples().all())
    for token in session.scalars(select(ApiToken).order_by(ApiToken.id)):
        state = "revoked" if token.revoked_at else "active"
        used = token.last_used_at
        last = clock.local(used, where).strftime("%Y-%m-%d %H:%M") if used else "-"
        engineer = engineers.get(token.engineer_id or 0, "-")
        click.echo(f"#{token.id:<4} {token.name:30} {token.role:13} {engineer:10} {state:8} "
                   f"last used {last}")  # fmt: skip


@api_token.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke a token (its id from `api-token list`): the next request with it gets 401."""
    session = db.session()
    token = session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"no token {token_id}")
    token.revoked_at = token.revoked_at or clock.now()
    accounts.audit(session, "cli", "revoke api token", clock.now(), f"token {token_id}")
    session.commit()
    click.echo(f"token {token_id} revoked")


commands: list[click.Command] = [users, api_token]
