"""Logging in and out, invitations, the page language."""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from hotline import accounts, db
from hotline.clock import now
from hotline.models import User
from hotline.web import access, problem, web


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("web.home")


@web.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        expired = "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich neu an."
        return render_template("auth/login.html", error=expired if g.get("expired") else None)
    session = db.session()
    client = (request.access_route[-1] if request.access_route else "") or "?"
    email, password = request.form.get("email", ""), request.form.get("password", "")
    try:
        user = accounts.authenticate(session, email, password, client, now())
    except accounts.TooManyAttempts as exc:
        session.commit()
        return render_template("auth/login.html", error=str(exc)), 429
    session.commit()
    if user is None:
        return render_template("auth/login.html", error="Anmeldung fehlgeschlagen."), 401
    access.login(user)
    return redirect(_safe_next(request.args.get("next")))


@web.post("/logout")
def logout() -> ResponseReturnValue:
    access.logout()
    return redirect(url_for("web.login"))


@web.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str) -> ResponseReturnValue:
    session = db.session()
    found = accounts.invitation(session, token, now())
    if found is None:
        text = ("Dieser Einladungslink ist abgelaufen oder schon benutzt. Bitte fragen Sie die "
                "Administration nach einem neuen.")  # fmt: skip
        return problem(410, "Link abgelaufen", text)
    error = None
    if request.method == "POST":
        try:
            user = accounts.redeem(session, token, request.form.get("password", ""), now())
        except accounts.AccountError as exc:
            error = str(exc)
        else:
            session.commit()
            access.login(user)
            return redirect(url_for("web.home"))
    return render_template("auth/invite.html", email=found.user.email, error=error)


@web.post("/language")
@access.needs()
def language() -> ResponseReturnValue:
    """Switch this account's pages between German and English."""
    who = access.current()
    user = db.session().get(User, who.user_id) if who and who.user_id else None
    if user is not None:
        user.language = "en" if request.form.get("language") == "en" else "de"
        db.session().commit()
    return redirect(_safe_next(request.form.get("next")))
