"""`/directory`: the provider's customers, teams and engineers as the last import left them.

Every account may read it (`Permission.DIRECTORY`): the people who work an emergency need the
customer's numbers, contract and emergency notes. A customer's phone numbers and blocks are the
customer company's lines, kept in the directory, not a caller's personal data (those live on
tickets and are shown only with `Permission.CALLER_DATA`), so they are shown to every reader.
The keypad PIN is a credential and is shown only to those who may change the directory.
"""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from escalation.access import Permission
from hotline import db, phones
from hotline.models import Customer, Engineer, Provider, Team
from hotline.web import access, web

ROLES = {"project_lead": "Projektleitung", "consultant": "Consultant"}


@web.get("/directory")
@access.needs(Permission.DIRECTORY)
def directory() -> str:
    session = db.session()
    search = request.args.get("q", "").strip()[:100]
    query = (
        select(Customer)
        .options(
            selectinload(Customer.phones),
            selectinload(Customer.contract),
            selectinload(Customer.team),
            selectinload(Customer.contact),
        )
        .order_by(Customer.number)
    )
    if search:
        query = query.where(
            or_(
                Customer.number.contains(search, autoescape=True),
                func.lower(Customer.name).contains(search.lower(), autoescape=True),
            )
        )
    teams = session.scalars(
        select(Team).options(selectinload(Team.engineers), selectinload(Team.customers))
        .order_by(Team.key)
    ).all()  # fmt: skip
    engineers = session.scalars(
        select(Engineer).options(selectinload(Engineer.team)).order_by(Engineer.key)
    ).all()
    who = access.current()
    return render_template(
        "directory/directory.html",
        provider=Provider.one(session),
        customers=session.scalars(query).all(),
        teams=teams,
        engineers=engineers,
        search=search,
        phone=phones.display,
        roles=ROLES,
        editor=who is not None and who.may(Permission.EDIT_DIRECTORY),
    )
