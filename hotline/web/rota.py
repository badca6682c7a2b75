"""`/rota`: who is on call now, per team; the next 14 days per team as a picture; overrides and
absences made and taken back (`Permission.EDIT_ROTA`) through `hotline/rota_changes.py`, the
service the API calls too. `/rota/me`: an engineer's own shifts, appointments and calendar feed.

Who is on call, the shifts and the gaps are the roster's (`escalation/rota.py`, `gaps.py`); the
page only draws them (`timeline`), in the provider's zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, NoReturn

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from escalation import gaps, rota, wallclock
from escalation.access import Permission
from hotline import appointments, db, links, roster, rota_changes
from hotline.calendar import whole_shifts
from hotline.clock import now
from hotline.models import Absence, Engineer, Override, Team
from hotline.web import access, problem, timeline, times, web
from hotline.web.appointments import STATES

DAYS = 14
LAYERS = {"primary": "Primär", "secondary": "Sekundär"}


def _bad(title: str, text: str) -> NoReturn:
    abort(make_response(problem(400, title, text)))


def _first_day(at: datetime) -> date:
    """The picture's first day: `?from=YYYY-MM-DD`, else today on the provider's wall clock."""
    given = request.args.get("from", "")
    if not given:
        return times.local(at).date()
    try:
        return date.fromisoformat(given)
    except ValueError:
        _bad("Ungültiges Datum", "Bitte ein Datum wie 2026-12-01 angeben.")


def _span(first: date) -> tuple[datetime, datetime]:
    zone = times.zone()
    try:
        return (wallclock.on(first, time(), zone),
                wallclock.on(first + timedelta(days=DAYS), time(), zone))  # fmt: skip
    except OverflowError:
        _bad("Ungültiges Datum", "Dieses Datum liegt außerhalb des Kalenders.")


def _kind(entry: rota.OnCall) -> tuple[str, str | None]:
    """How someone came to be on call: their turn, a cover for an absent member (whose key is
    the second), an override."""
    if entry.scheduled is None:
        return "Tausch", None
    if entry.scheduled != entry.engineer:
        return "vertritt", entry.scheduled
    return "Rotation", None


def _when(a: datetime, b: datetime) -> str:
    return f"{times.wall(a)} – {times.wall(b)}"


def _pictures(start: datetime, end: datetime, at: datetime, teams: list[Team]) -> dict[str, Any]:
    """Per team its picture: a row per layer, the overrides, the absences, the gaps."""
    session = db.session()
    names = {e.key: e.name for e in session.scalars(select(Engineer))}
    shifts = whole_shifts(session, start, end)  # a shift begun before the picture: its start
    colour = timeline.colours(s.engineer for s in shifts)
    report = roster.gap_report(session, start, end)
    overrides = session.scalars(
        select(Override).where(Override.starts_at < end, Override.ends_at > start)
    ).all()
    absences = session.scalars(
        select(Absence).where(Absence.starts_at < end, Absence.ends_at > start)
    ).all()
    canvas = timeline.Canvas(start, end)
    day_names = times.DAYS.get(_language(), times.DAYS["de"])
    day_lines = timeline.days(times.local(start).date(), DAYS, times.zone(), canvas, day_names)

    def on_call(s: rota.Shift) -> timeline.Span:
        name = names.get(s.engineer, s.engineer)
        title = f"{name}: {_when(s.starts_at, s.ends_at)}"
        return timeline.Span(s.starts_at, s.ends_at, name, title, colour[s.engineer])

    def swapped(o: Override) -> timeline.Span:
        title = f"{_swap(o)} ({LAYERS[o.layer]}): {_when(o.starts_at, o.ends_at)}"
        return timeline.Span(o.starts_at, o.ends_at, _swap(o), title, "override")

    def away(a: Absence) -> timeline.Span:
        title = f"{a.engineer.name} ({a.reason or 'abwesend'}): {_when(a.starts_at, a.ends_at)}"
        return timeline.Span(a.starts_at, a.ends_at, a.engineer.name, title, "absence")

    def hole(g: gaps.Gap) -> timeline.Span:
        title = f"Niemand erreichbar: {_when(g.starts_at, g.ends_at)}"
        return timeline.Span(g.starts_at, g.ends_at, "niemand", title, "gap")

    found = {}
    for team in teams:
        holes = [g for g in report.gaps if g.team == team.key]
        rows = [
            *((label, [on_call(s) for s in shifts if (s.team, s.layer) == (team.key, layer)])
              for layer, label in LAYERS.items()),
            ("Tausch", [swapped(o) for o in overrides if o.team_id == team.id]),
            ("Abwesend", [away(a) for a in absences if a.engineer.team_id == team.id]),
            ("Lücke", [hole(g) for g in holes]),
        ]  # fmt: skip
        found[team.key] = {
            "picture": timeline.picture(start, end, rows, day_lines, at),
            "gaps": holes,
            "unreachable": [u for u in report.unreachable if u.team == team.key],
        }
    return {"pictures": found, "pool": [g for g in report.gaps if g.team is None]}


def _swap(o: Override) -> str:
    return f"{o.engineer.name} für {o.replaces.name}" if o.replaces else f"+ {o.engineer.name}"


def _language() -> str:
    who = access.current()
    return who.language if who else "de"


@web.get("/rota", endpoint="rota")
@access.needs(Permission.ROTA)
def rota_page() -> str:
    session = db.session()
    at = now()
    first = _first_day(at)
    start, end = _span(first)
    teams = list(session.scalars(select(Team).order_by(Team.key)))
    people = {e.key: e for e in session.scalars(select(Engineer))}
    on_call = roster.on_call(session, at)
    current = {
        t.key: [(LAYERS.get(o.layer, o.layer), people.get(o.engineer), o.engineer, *_kind(o))
                for o in on_call if o.team == t.key]
        for t in teams
    }  # fmt: skip
    who = access.current()
    editing = who is not None and who.may(Permission.EDIT_ROTA)
    changes = {}
    if editing:
        changes = {
            "overrides": session.scalars(select(Override).where(Override.ends_at > at)
                                         .order_by(Override.starts_at, Override.id)).all(),
            "absences": session.scalars(select(Absence).where(Absence.ends_at > at)
                                        .order_by(Absence.starts_at, Absence.id)).all(),
            "engineers": [e for e in people.values() if e.active],
        }  # fmt: skip
    return render_template(
        "rota/rota.html", at=at, teams=teams, current=current, layers=LAYERS, people=people,
        first=first, earlier=first - timedelta(days=DAYS), later=first + timedelta(days=DAYS),
        editing=editing, **_pictures(start, end, at, teams), **changes,
    )  # fmt: skip


def _form_time(name: str) -> datetime:
    """A datetime-local field: wall-clock time of the provider's zone."""
    try:
        return wallclock.parse(request.form.get(name, ""), times.zone())
    except (ValueError, OverflowError):
        _bad("Ungültige Zeit", "Bitte Beginn und Ende wie 2026-12-02T08:00 angeben.")


def _row(model: type, key: str | None, what: str) -> Any:
    found = db.session().scalar(select(model).where(model.key == (key or "")))  # type: ignore[attr-defined]
    if found is None:
        _bad(f"Unbekannt: {what}", f"„{key}“ gibt es nicht.")
    return found


def _done() -> ResponseReturnValue:
    """Back to the rota, at the same days, at the changes."""
    shown = {"from": request.args["from"]} if "from" in request.args else {}
    return redirect(url_for("web.rota", **shown) + "#changes")


@web.post("/rota/overrides")
@access.needs(Permission.EDIT_ROTA)
def override_create() -> ResponseReturnValue:
    session = db.session()
    team = _row(Team, request.form.get("team"), "Team")
    engineer = _row(Engineer, request.form.get("engineer"), "Techniker")
    replaced = request.form.get("replaces") or None
    replaces = _row(Engineer, replaced, "Techniker") if replaced else None
    start, end = _form_time("from"), _form_time("until")
    try:
        made = rota_changes.add_override(session, team, request.form.get("layer", "primary"),
                                         engineer, replaces, start, end, now())  # fmt: skip
    except rota_changes.RotaError as exc:
        return problem(409, "Nicht möglich", f"Dieser Tausch geht nicht: {exc}")
    access.audit("create override", f"override {made.id}", team=team.key, engineer=engineer.key,
                 replaces=replaces.key if replaces else None, start=start.isoformat(),
                 end=end.isoformat())  # fmt: skip
    session.commit()
    flash(f"Tausch eingetragen: {_swap(made)}, {times.wall(start)} – {times.wall(end)}.")
    return _done()


@web.post("/rota/absences")
@access.needs(Permission.EDIT_ROTA)
def absence_create() -> ResponseReturnValue:
    session = db.session()
    engineer = _row(Engineer, request.form.get("engineer"), "Techniker")
    start, end = _form_time("from"), _form_time("until")
    reason = request.form.get("reason", "").strip()[:64] or None
    try:
        made = rota_changes.add_absence(session, engineer, start, end, reason, now())
    except rota_changes.RotaError as exc:
        return problem(409, "Nicht möglich", f"Diese Abwesenheit geht nicht: {exc}")
    access.audit("create absence", f"absence {made.id}", engineer=engineer.key,
                 start=start.isoformat(), end=end.isoformat(), reason=reason)  # fmt: skip
    session.commit()
    flash(f"Abwesenheit eingetragen: {engineer.name}, {times.wall(start)} – {times.wall(end)}.")
    return _done()


@web.post("/rota/<any(overrides, absences):kind>/<int:row_id>/withdraw")
@access.needs(Permission.EDIT_ROTA)
def rota_withdraw(kind: str, row_id: int) -> ResponseReturnValue:
    """Take an override or absence back: deleted before it began, ended now while it runs."""
    session = db.session()
    row = session.get(Override if kind == "overrides" else Absence, row_id)
    if row is None:
        abort(404)
    what = "Tausch" if kind == "overrides" else "Abwesenheit"
    try:
        fate = rota_changes.withdraw(session, row, now())
    except rota_changes.RotaError as exc:
        return problem(409, "Nicht möglich", f"{what} bleibt: {exc}")
    access.audit(f"withdraw {kind[:-1]}", f"{kind[:-1]} {row_id}", result=fate)
    session.commit()
    flash(f"{what} {'gelöscht' if fate == 'removed' else 'jetzt beendet'}.")
    return _done()


@web.get("/rota/me")
@access.needs(Permission.ROTA)
def my_rota() -> ResponseReturnValue:
    """An engineer's own page: shifts, appointments, tickets, the calendar feed to subscribe."""
    who = access.current()
    session = db.session()
    engineer = session.scalar(select(Engineer).where(Engineer.key == (who.engineer if who else "")))
    if engineer is None:
        return problem(404, "Kein Techniker",
                       "Dieses Konto gehört zu keinem Techniker des Verzeichnisses: es hat keine "
                       "eigenen Schichten.")  # fmt: skip
    at = now()
    shifts = whole_shifts(session, at, at + timedelta(days=DAYS), engineer=engineer.key)
    mine = appointments.listing(session, at, engineer)
    feeds = {"engineer": links.public("calendar.engineer_feed", token=engineer.calendar_token)}
    if engineer.team is not None:
        feeds["team"] = links.public("calendar.team_feed", token=engineer.team.calendar_token)
    tickets = url_for("web.tickets") if "web.tickets" in current_app.view_functions else None
    return render_template("rota/me.html", engineer=engineer, shifts=shifts, appointments=mine,
                           feeds=feeds, tickets=tickets, layers=LAYERS, at=at, days=DAYS,
                           states=STATES)  # fmt: skip
