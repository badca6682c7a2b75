"""`/accounts`: only an admin opens it; invitations by e-mail or SMS carry a one-time link that
sets a password once; a disabled account's session ends; a role change takes effect at once;
an API token is shown once and revoked; the last admin cannot lock everyone out; the audit log
names who did what and pages."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from conftest import Clock
from flask import Flask
from office import ROLES, client_as, post, seed, token
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import accounts, db
from hotline.models import ApiToken, AuditEntry, Message, User


@pytest.fixture
def demo(app: Flask, clock: Clock) -> Flask:
    seed(app, clock())
    return app


@contextmanager
def database(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session()


@pytest.mark.parametrize("role", [None, *sorted(ROLES)])
def test_only_an_admin_manages_accounts(demo: Flask, role: str | None) -> None:
    client = client_as(demo, role)
    for path in ("/accounts", "/accounts/audit"):
        answer = client.get(path)
        if role is None:
            assert answer.status_code == 302 and "/login" in answer.headers["Location"]
        else:
            assert answer.status_code == (200 if role == "admin" else 403), (role, path)
    if role not in (None, "admin"):
        form = {"email": "x@example.de", "role": "admin", "channel": "email"}
        assert post(client, "/directory", "/accounts", form).status_code == 403
        assert post(client, "/directory", "/accounts/tokens", {"name": "x", "role": "admin"}
                    ).status_code == 403  # fmt: skip
        with database(demo) as session:
            assert session.scalar(select(User).where(User.email == "x@example.de")) is None


def test_an_e_mail_invitation_sets_a_password_once(demo: Flask) -> None:
    admin = client_as(demo, "admin")
    form = {"email": "Neu@Example.de", "name": "Nina Neu", "role": "dispatcher",
            "channel": "email"}  # fmt: skip
    done = post(admin, "/accounts", "/accounts", form, follow_redirects=True)
    text = html.unescape(done.get_data(as_text=True))
    assert "Konto neu@example.de angelegt; der Einladungslink geht an neu@example.de" in text
    with database(demo) as session:
        [mail] = session.scalars(select(Message).where(Message.to == "neu@example.de")).all()
        assert mail.channel == "email" and "Passwort" in mail.body
        [(actor, subject)] = session.execute(
            select(AuditEntry.actor, AuditEntry.subject).where(
                AuditEntry.action == "invite account")).all()  # fmt: skip
        assert (actor, subject) == ("user:admin@demo.example", "user neu@example.de")
    [link] = re.findall(r"https?://\S+/invite/\S+", mail.body)
    path = link[link.index("/invite/") :]
    assert path not in text  # the link went to the person, not onto the admin's page

    newcomer = demo.test_client()
    page = newcomer.get(path).get_data(as_text=True)
    answer = newcomer.post(path, data={"csrf_token": token(page), "password": "ein gutes Passwort"})
    assert answer.status_code == 302
    assert newcomer.get(path).status_code == 410  # used: gone
    with database(demo) as session:
        user = session.scalar(select(User).where(User.email == "neu@example.de"))
        assert user is not None and accounts.HASHER.verify(user.password_hash, "ein gutes Passwort")


def test_an_sms_invitation_goes_to_the_engineers_mobile(demo: Flask) -> None:
    admin = client_as(demo, "admin")
    form = {"email": "lena@example.de", "role": "engineer", "engineer": "lena", "channel": "sms"}
    post(admin, "/accounts", "/accounts", form)
    with database(demo) as session:
        [sms] = session.scalars(select(Message).where(Message.channel == "sms")).all()
        assert sms.to == "+491715550103" and "/invite/" in sms.body  # 0171 5550103, E.164
    wrong = {"email": "ohne@example.de", "role": "engineer", "channel": "email"}
    text = post(admin, "/accounts", "/accounts", wrong, follow_redirects=True).get_data(True)
    assert "braucht" in html.unescape(text)  # an engineer account needs its engineer


def test_disable_and_role_change_take_effect_at_once(demo: Flask) -> None:
    admin = client_as(demo, "admin")
    dispo = client_as(demo, "dispatcher")
    assert dispo.get("/billing").status_code == 403
    with database(demo) as session:
        uid = session.scalar(select(User.id).where(User.email == ROLES["dispatcher"]))
    post(admin, "/accounts", f"/accounts/{uid}/role", {"role": "project_lead"})
    assert dispo.get("/billing").status_code == 200  # the same session, the new role
    post(admin, "/accounts", f"/accounts/{uid}/active", {"active": "0"})
    answer = dispo.get("/billing")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    post(admin, "/accounts", f"/accounts/{uid}/active", {"active": "1"})
    with database(demo) as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions[-3:] == ["change role", "disable account", "enable account"]


def test_the_last_admin_stays_an_active_admin(demo: Flask) -> None:
    admin = client_as(demo, "admin")
    with database(demo) as session:
        uid = session.scalar(select(User.id).where(User.email == ROLES["admin"]))
    text = post(admin, "/accounts", f"/accounts/{uid}/active", {"active": "0"},
                follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "letzte aktive Admin-Konto" in text
    post(admin, "/accounts", f"/accounts/{uid}/role", {"role": "dispatcher"})
    assert admin.get("/accounts").status_code == 200  # still an admin


def test_an_api_token_is_shown_once_and_can_be_revoked(demo: Flask, clock: Clock) -> None:
    admin = client_as(demo, "admin")
    answer = post(admin, "/accounts", "/accounts/tokens", {"name": "Ticketsystem",
                                                          "role": "dispatcher"})  # fmt: skip
    shown = re.findall(r'id="new-token">(hl_[^<]+)<', answer.get_data(as_text=True))
    assert len(shown) == 1
    raw = shown[0]
    assert raw not in admin.get("/accounts").get_data(as_text=True)  # once
    with database(demo) as session:
        found = accounts.by_token(session, raw, clock())
        assert found is not None and found.role == "dispatcher" and found.token_hash != raw
        token_id = found.id
        session.rollback()
    post(admin, "/accounts", f"/accounts/tokens/{token_id}/revoke")
    with database(demo) as session:
        assert accounts.by_token(session, raw, clock()) is None
        assert session.get(ApiToken, token_id).revoked_at is not None  # type: ignore[union-attr]


def test_the_audit_log_pages_newest_first(demo: Flask, clock: Clock) -> None:
    with database(demo) as session:
        start = clock()
        for i in range(120):
            accounts.audit(session, "user:x@example.de", "test", start + timedelta(seconds=i),
                           f"thing {i}", n=i)  # fmt: skip
        session.commit()
    admin = client_as(demo, "admin")
    first = admin.get("/accounts/audit").get_data(as_text=True)
    assert "thing 119" in first and "thing 70" in first and "thing 69<" not in first
    assert "Seite 1 / 3" in first
    last = admin.get("/accounts/audit?page=3").get_data(as_text=True)
    assert "thing 0<" in last and "thing 20<" not in last
    assert admin.get("/accounts/audit?page=x").status_code == 200  # a bad page number: page 1
