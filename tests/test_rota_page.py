"""The rota pages on the demo: who is on call now, the 14 days per team as an SVG (layers,
overrides, absences, gaps), overrides and absences made and taken back by those who may, and an
engineer's own page with the calendar feed. Every role against every route, no login too.

No test holds an app context while the client asks: each request must get its own, as served.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import appointments, db, links, roster
from hotline.calendar import whole_shifts
from hotline.models import Absence, AuditEntry, Engineer, Override

BERLIN = ZoneInfo("Europe/Berlin")
SVG = "{http://www.w3.org/2000/svg}"
ACCOUNTS = {
    "admin": ("admin@demo.example", "demo-admin-2026"),
    "dispatcher": ("dispo@demo.example", "demo-dispo-2026"),
    "project_lead": ("anna@demo.example", "demo-lead-2026"),
    "engineer": ("jonas@demo.example", "demo-engineer-2026"),
}


@contextmanager
def reading(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session()


@pytest.fixture
def demo(app: Flask, clock: Any) -> Flask:
    """The demo week; the clock on Tuesday 2026-12-01 03:00 in Berlin."""
    result = app.test_cli_runner().invoke(args=["seed-demo", "--week", "2026-11-30"])
    assert result.exit_code == 0, result.output
    return app


def client_as(app: Flask, role: str | None) -> FlaskClient:
    client = app.test_client()
    if role is None:
        return client
    email, password = ACCOUNTS[role]
    page = client.get("/login").get_data(as_text=True)
    answer = client.post("/login", data={"email": email, "password": password,
                                         "csrf_token": token(page)})  # fmt: skip
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def token(page: str) -> str:
    return re.findall(r'name="csrf_token" value="([^"]+)"', page)[0]


def html(answer: Any) -> ElementTree.Element:
    """The page read by a strict XML parser (void tags closed): a stray tag fails here."""
    text = answer.get_data(as_text=True).replace("<!doctype html>", "")
    text = re.sub(r"<(meta|link|input|br)([^>]*?)/?>", r"<\1\2/>", text)
    return ElementTree.fromstring(text)


def team(page: ElementTree.Element, key: str) -> ElementTree.Element:
    [found] = [s for s in page.iter("section") if s.get("id") == f"team-{key}"]
    return found


def bars(section: ElementTree.Element) -> dict[str, list[str]]:
    """The picture's bars by kind: their hover texts."""
    [svg] = section.iter(f"{SVG}svg")
    found: dict[str, list[str]] = {}
    for g in svg.iter(f"{SVG}g"):
        kind = g.get("class", "").split()[-1]
        found.setdefault(kind, []).append(g.findtext(f"{SVG}title") or "")
    return found


def post(client: FlaskClient, path: str, **data: str) -> Any:
    csrf = token(client.get("/rota").get_data(as_text=True))
    return client.post(path, data={"csrf_token": csrf, **data})


def test_who_is_on_call_now_and_the_14_days_as_a_picture(demo: Flask, clock: Any) -> None:
    answer = client_as(demo, "engineer").get("/rota")
    assert answer.status_code == 200
    page = html(answer)
    text = answer.get_data(as_text=True)
    with reading(demo) as session:
        now = roster.on_call(session, clock())
        names = {e.key: e.name for e in session.scalars(select(Engineer))}
    blau = [s for s in page.iter("section") if s.get("id") == "now-blau"][0]
    shown = " ".join(" ".join("".join(li.itertext()).split()) for li in blau.iter("li"))
    for entry in (o for o in now if o.team == "blau"):
        assert names[entry.engineer] in shown
    assert "Primär: Jonas Weber" in shown and "Sekundär: Lena Fischer" in shown

    picture = bars(team(page, "blau"))
    # Wednesday 18:00 to Thursday 08:00 Lena takes Jonas's primary shift (the demo's override)
    assert picture["override"] == [
        "Lena Fischer für Jonas Weber (Primär): Mi 02.12.2026 18:00 – Do 03.12.2026 08:00"
    ]
    on_call = [t for kind, texts in picture.items() if kind.startswith("c") for t in texts]
    assert "Jonas Weber: Mo 30.11.2026 08:00 – Mi 02.12.2026 18:00" in on_call
    assert "gap" not in picture  # the demo has no gap
    gruen = bars(team(page, "gruen"))
    assert gruen["absence"] == [
        "Felix Schäfer (vacation): Mo 07.12.2026 00:00 – Sa 12.12.2026 00:00"
    ]
    days = [t.text for t in team(page, "blau").iter(f"{SVG}text") if t.get("class") == "day"]
    assert days[0] == "Di 01.12." and days[-1] == "Mo 14.12." and len(days) == 14
    assert len([ln for ln in team(page, "blau").iter(f"{SVG}line") if ln.get("class") == "now"])
    assert "Tausch eintragen" not in text  # an engineer sees, does not change
    assert "/rota/me" in text


def test_a_gap_shows_red_in_the_picture(demo: Flask, clock: Any) -> None:
    """Every consultant of team blau away on Thursday: nobody reachable, drawn and named."""
    client = client_as(demo, "dispatcher")
    for key in ("jonas", "lena", "tobias"):
        done = post(client, "/rota/absences", engineer=key, reason="Schulung",
                    **{"from": "2026-12-03T08:00", "until": "2026-12-03T12:00"})  # fmt: skip
        assert done.status_code == 302, done.get_data(as_text=True)
    answer = client.get("/rota")
    picture = bars(team(html(answer), "blau"))
    assert picture["gap"] == ["Niemand erreichbar: Do 03.12.2026 08:00 – Do 03.12.2026 12:00"]
    assert "Lücke: Do 03.12.2026 08:00 – Do 03.12.2026 12:00" in answer.get_data(as_text=True)
    assert len(picture["absence"]) == 3


def test_an_override_is_made_shown_and_taken_back(demo: Flask, clock: Any) -> None:
    client = client_as(demo, "dispatcher")
    made = post(
        client,
        "/rota/overrides",
        team="blau",
        layer="primary",
        engineer="tobias",
        replaces="jonas",
        **{"from": "2026-12-05T08:00", "until": "2026-12-06T08:00"},
    )
    assert made.status_code == 302 and made.headers["Location"].endswith("/rota#changes")
    with reading(demo) as session:
        row = session.scalars(select(Override).where(Override.engineer.has(key="tobias"))).one()
        assert row.starts_at == datetime(2026, 12, 5, 7, 0, tzinfo=UTC)  # Berlin wall clock
        saturday = roster.on_call(session, datetime(2026, 12, 5, 12, 0, tzinfo=UTC), "blau")
        assert ("primary", "tobias") in [(o.layer, o.engineer) for o in saturday]
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "create override"))
        assert audit.one().actor == "user:dispo@demo.example"
        override_id = row.id
    page = client.get("/rota").get_data(as_text=True)
    assert "Tausch eingetragen: Tobias Becker für Jonas Weber, Sa 05.12.2026 08:00" in page
    assert "Tobias Becker für Jonas Weber (Primär): Sa 05.12.2026 08:00" in page  # the picture

    gone = post(client, f"/rota/overrides/{override_id}/withdraw")
    assert gone.status_code == 302
    with reading(demo) as session:
        assert session.get(Override, override_id) is None  # it had not begun: deleted
    assert "Tausch gelöscht." in client.get("/rota").get_data(as_text=True)


def test_taking_back_keeps_the_past(demo: Flask, clock: Any) -> None:
    """A running absence ends now; one that is over stays as it was."""
    with reading(demo) as session:
        felix = session.scalar(select(Engineer).where(Engineer.key == "felix"))
        running = Absence(engineer=felix, starts_at=clock() - timedelta(hours=5),
                          ends_at=clock() + timedelta(hours=5), reason="krank")  # fmt: skip
        over = Absence(engineer=felix, starts_at=clock() - timedelta(days=3),
                       ends_at=clock() - timedelta(days=2), reason="krank")  # fmt: skip
        session.add_all([running, over])
        session.commit()
        ids = running.id, over.id
    client = client_as(demo, "project_lead")
    assert post(client, f"/rota/absences/{ids[0]}/withdraw").status_code == 302
    refused = post(client, f"/rota/absences/{ids[1]}/withdraw")
    assert refused.status_code == 409 and "Abwesenheit bleibt" in refused.get_data(as_text=True)
    with reading(demo) as session:
        assert session.get(Absence, ids[0]).ends_at == clock()
        assert session.get(Absence, ids[1]).ends_at == clock() - timedelta(days=2)
    assert post(client, "/rota/absences/99999/withdraw").status_code == 404


@pytest.mark.parametrize(
    ("path", "data", "code", "says"),
    [
        ("/rota/absences", {"engineer": "jonas", "from": "morgen", "until": "x"}, 400,
         "Ungültige Zeit"),
        ("/rota/absences", {"engineer": "niemand", "from": "2026-12-03T08:00",
                            "until": "2026-12-03T09:00"}, 400, "Unbekannt"),
        ("/rota/absences", {"engineer": "jonas", "from": "2026-12-03T08:00",
                            "until": "2026-12-02T09:00"}, 409, "Nicht möglich"),
        ("/rota/absences", {"engineer": "jonas", "from": "2026-11-03T08:00",
                            "until": "2026-11-04T09:00"}, 409, "Nicht möglich"),
        ("/rota/overrides", {"team": "blau", "layer": "tertiary", "engineer": "lena",
                             "from": "2026-12-03T08:00", "until": "2026-12-03T09:00"}, 409,
         "Nicht möglich"),
        ("/rota/overrides", {"team": "lila", "engineer": "lena", "from": "2026-12-03T08:00",
                             "until": "2026-12-03T09:00"}, 400, "Unbekannt"),
        ("/rota/overrides", {"csrf_token": "forged"}, 400, "Formular abgelaufen"),
    ],
)  # fmt: skip
def test_hostile_or_impossible_changes_get_a_clear_answer(
    demo: Flask, path: str, data: dict[str, str], code: int, says: str
) -> None:
    answer = post(client_as(demo, "dispatcher"), path, **data)
    assert answer.status_code == code
    assert says in answer.get_data(as_text=True)
    with reading(demo) as session:
        assert len(session.scalars(select(Override)).all()) == 1  # the demo's
        assert len(session.scalars(select(Absence)).all()) == 1


@pytest.mark.parametrize("given", ["gestern", "9999-12-31", "0001-01-01"])
def test_a_bad_first_day_is_a_clear_error(demo: Flask, given: str) -> None:
    answer = client_as(demo, "engineer").get(f"/rota?from={given}")
    assert answer.status_code == 400 and "Ungültiges Datum" in answer.get_data(as_text=True)


def test_paging_through_the_weeks(demo: Flask) -> None:
    page = html(client_as(demo, "engineer").get("/rota?from=2026-12-15"))
    days = [t.text for t in team(page, "rot").iter(f"{SVG}text") if t.get("class") == "day"]
    assert days[0] == "Di 15.12." and days[-1] == "Mo 28.12."
    assert not [ln for ln in page.iter(f"{SVG}line") if ln.get("class") == "now"]


@pytest.mark.parametrize("role", ["admin", "dispatcher", "project_lead", "engineer", None])
def test_who_may_see_and_change_the_rota(demo: Flask, role: str | None) -> None:
    client = client_as(demo, role)
    seen = client.get("/rota")
    assert seen.status_code == (200 if role else 302)
    may_edit = role in ("admin", "dispatcher", "project_lead")
    assert ("Tausch eintragen" in seen.get_data(as_text=True)) == may_edit
    csrf = token(client.get("/login").get_data(as_text=True))
    change = {"csrf_token": csrf, "engineer": "jonas", "from": "2026-12-10T08:00",
              "until": "2026-12-10T09:00"}  # fmt: skip
    answer = client.post("/rota/absences", data=change)
    assert answer.status_code == (302 if may_edit else 403 if role else 302)
    with reading(demo) as session:
        made = session.scalars(select(Absence).where(Absence.engineer.has(key="jonas"))).all()
        assert len(made) == (1 if may_edit else 0)
        demo_override = session.scalars(select(Override)).one().id
    withdraw = client.post(f"/rota/overrides/{demo_override}/withdraw", data={"csrf_token": csrf})
    assert withdraw.status_code == (302 if may_edit or not role else 403)
    if not role:
        assert "/login" in withdraw.headers["Location"]


def test_an_engineers_own_page(demo: Flask, clock: Any) -> None:
    client = client_as(demo, "engineer")
    answer = client.get("/rota/me")
    assert answer.status_code == 200
    page = html(answer)
    text = answer.get_data(as_text=True)
    with reading(demo) as session:
        jonas = session.scalar(select(Engineer).where(Engineer.key == "jonas"))
        shifts = whole_shifts(session, clock(), clock() + timedelta(days=14), engineer="jonas")
        mine = appointments.listing(session, clock(), jonas)
        feed = links.public("calendar.engineer_feed", token=jonas.calendar_token)
    listed = [" ".join("".join(li.itertext()).split()) for ul in page.iter("ul")
              if "shifts" in ul.get("class", "") for li in ul.iter("li")]  # fmt: skip
    assert len(listed) == len(shifts) and listed[0].startswith(
        "Mo 30.11.2026 08:00 – Mi 02.12.2026 18:00 blau, Primär jetzt"
    )
    assert len(mine) > 3 and all(a.title in text for a in mine)
    fields = {i.get("id"): i.get("value") for i in page.iter("input") if i.get("class") == "feed"}
    assert fields["feed-engineer"] == feed
    assert [b.get("data-copy") for b in page.iter("button") if b.get("data-copy")] == [
        "feed-engineer",
        "feed-team",
    ]
    calendar = client.get(feed.replace("https://hotline.example.de", ""))
    assert calendar.status_code == 200 and calendar.mimetype == "text/calendar"
    assert b"Jonas Weber" in calendar.data
    assert client.get("/static/web/copy.js").status_code == 200


@pytest.mark.parametrize("role", ["dispatcher", "admin", None])
def test_the_own_page_needs_an_engineer(demo: Flask, role: str | None) -> None:
    answer = client_as(demo, role).get("/rota/me")
    assert answer.status_code == (404 if role else 302)
    if role:
        assert "Kein Techniker" in answer.get_data(as_text=True)


def test_english_per_account(demo: Flask) -> None:
    client = client_as(demo, "engineer")
    switched = post(client, "/language", language="en", next="/rota")
    assert switched.status_code == 302
    page = client.get("/rota").get_data(as_text=True)
    assert "On call now" in page and "Primary:" in page and "Jetzt in Bereitschaft" not in page
    assert "Mon 07.12." in page  # the days' names too
    mine = client.get("/rota/me").get_data(as_text=True)
    assert "Calendar feed" in mine and "Copy" in mine
