"""`/`: the login for strangers, the board for the office, one's tickets for an engineer."""

from __future__ import annotations

from flask import current_app, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from escalation.access import Permission
from hotline.web import access, web

# Where an account lands, in order: the first page its role may open.
LANDING = [("web.board", Permission.BOARD), ("web.tickets", None), ("web.rota", Permission.ROTA)]


@web.get("/")
def home() -> ResponseReturnValue:
    who = access.current()
    if who is None or who.kind != "user":
        return redirect(url_for("web.login"))
    for endpoint, permission in LANDING:
        if endpoint in current_app.view_functions and (permission is None or who.may(permission)):
            return redirect(url_for(endpoint))
    return render_template("problem.html", title="Notdienst", text="Willkommen.")
