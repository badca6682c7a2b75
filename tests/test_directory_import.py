"""The directory import in the browser: an admin uploads the YAML, sees what it would change
(per section: new, changed, ended, deactivated), and applies it all or nothing; an error names
its entry and field as `flask import` does; hostile files get a German answer, never a trace."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import yaml
from conftest import Clock
from flask import Flask
from flask.testing import FlaskClient
from office import ROLES, client_as, seed, token
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import db
from hotline.directory import dump, export_directory
from hotline.models import AuditEntry, Customer, Engineer


@pytest.fixture
def demo(app: Flask, clock: Clock) -> Flask:
    seed(app, clock())
    return app


@contextmanager
def database(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session()


def exported(app: Flask) -> dict[str, Any]:
    with database(app) as session:
        return export_directory(session)


def upload(client: FlaskClient, content: bytes | str, name: str = "verzeichnis.yaml") -> Any:
    form = token(client.get("/directory/import").get_data(as_text=True))
    raw = content.encode() if isinstance(content, str) else content
    return client.post("/directory/import", content_type="multipart/form-data",
                       data={"csrf_token": form, "file": (io.BytesIO(raw), name)})  # fmt: skip


def apply(client: FlaskClient, page: str, **extra: str) -> Any:
    fields = dict(re.findall(r'name="(staged|fingerprint|csrf_token)" value="([^"]*)"', page))
    return client.post("/directory/import/apply", data=fields | extra)


def text(answer: Any) -> str:
    return html.unescape(answer.get_data(as_text=True))


def words(page: str) -> str:
    """A page's text without its tags."""
    return re.sub(r"<[^>]+>", "", page)


def changed_file(app: Flask) -> str:
    data = exported(app)
    data["customers"][0]["name"] = "Müller & Söhne GmbH & Co. KG"  # 10042
    data["customers"].append({"number": "10099", "name": "Neukunde AG", "team": "blau",
                              "phones": [{"number": "030 9990001"}]})  # fmt: skip
    data["engineers"] = [e for e in data["engineers"] if e["key"] != "tobias"]
    for customer in data["customers"]:
        if customer.get("contact") == "tobias":
            del customer["contact"]
    for rotation in data["rotations"]:
        rotation["members"] = [m for m in rotation["members"] if m != "tobias"]
    data["overrides"] = [o for o in data["overrides"] if "tobias" not in o.values()]
    data["absences"] = [a for a in data["absences"] if a["engineer"] != "tobias"]
    data["appointments"] = [a for a in data["appointments"] if a["engineer"] != "tobias"]
    return dump(data)


@pytest.mark.parametrize("role", sorted(set(ROLES) - {"admin"}))
def test_only_an_admin_imports(demo: Flask, role: str) -> None:
    client = client_as(demo, role)
    assert client.get("/directory/import").status_code == 403
    assert client.get("/directory/export").status_code == 403
    assert "Verzeichnis importieren" not in client.get("/directory").get_data(as_text=True)
    form = token(client.get("/directory").get_data(as_text=True))
    answer = client.post("/directory/import", data={"csrf_token": form,
                         "file": (io.BytesIO(b"provider: {}"), "x.yaml")})  # fmt: skip
    assert answer.status_code == 403


def test_the_preview_lists_each_change_and_applying_makes_them(demo: Flask) -> None:
    admin = client_as(demo, "admin")
    before = exported(demo)
    shown = upload(admin, changed_file(demo))
    page = text(shown)
    assert shown.status_code == 200
    said = words(page)
    assert "geändert: 10042 Müller & Söhne GmbH & Co. KG (name)" in said
    assert "geändert: 10044 Kanzlei Dr. Weiß & Partner (contact)" in said  # was tobias
    assert "neu: 10099 Neukunde AG" in said
    assert "wird deaktiviert: tobias" in said
    assert "geändert: blau-primary (members)" in said  # a rotation without tobias
    assert "Müller & Söhne Maschinenbau GmbH" not in said  # only what changes is listed
    assert exported(demo) == before  # a preview changes nothing

    done = apply(admin, page, accept_warnings="1")
    assert done.status_code == 302 and done.headers["Location"].endswith("/directory")
    with database(demo) as session:
        assert session.scalar(select(Customer.name).where(Customer.number == "10042")) == (
            "Müller & Söhne GmbH & Co. KG"
        )
        assert session.scalar(select(Customer.id).where(Customer.number == "10099"))
        assert session.scalar(select(Engineer.active).where(Engineer.key == "tobias")) is False
        [entry] = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "import directory")
        ).all()
        assert entry.actor == "user:admin@demo.example" and entry.detail
    assert "Verzeichnis übernommen" in text(admin.get("/directory"))
    again = upload(admin, dump(exported(demo)))  # the directory as it now stands
    assert "Die Datei ändert nichts am Verzeichnis" in text(again)


def test_applying_is_all_or_nothing(demo: Flask) -> None:
    admin = client_as(demo, "admin")
    before = exported(demo)
    page = text(upload(admin, changed_file(demo)))
    unconfirmed = apply(admin, page)  # the demo's shared reception is a routing warning
    assert unconfirmed.status_code == 422 and "nichts wurde geändert" in text(unconfirmed)
    assert exported(demo) == before  # none of the file's changes landed

    other = client_as(demo, "admin")  # meanwhile another admin changes the directory
    data = exported(demo)
    data["customers"][1]["name"] = "Bäckerei Körner & Kinder KG"
    apply(other, text(upload(other, dump(data))), accept_warnings="1")
    stale = apply(admin, page, accept_warnings="1")
    assert stale.status_code == 409 and "seit der Vorschau geändert" in text(stale)
    with database(demo) as session:  # the first admin's file was not applied over it
        assert session.scalar(select(Customer.id).where(Customer.number == "10099")) is None

    broken = yaml.safe_load(changed_file(demo))
    broken["customers"][1]["phones"][0]["number"] = "030 12"  # 10043: too short
    refused = upload(admin, dump(broken))
    assert refused.status_code == 422
    assert "customers[1] (10043).phones[0].number" in text(refused)  # entry and field
    with database(demo) as session:
        assert session.scalar(select(Customer.id).where(Customer.number == "10099")) is None


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"provider: {name: M\xfcller}\n", "kein UTF-8-Text"),
        ("provider:\n  name: \x07Bell\n", "Steuerzeichen"),
        ("provider: [unclosed\n", "kein gültiges YAML"),
        ("- just\n- a list\n", "the directory must be a mapping"),
        ("", "Die Datei ist leer"),
        ("a: &a [*a, *a]\n" + "b: [" + "[" * 30 + "]" * 30 + "]\n", "kein gültiges YAML"),
    ],
)
def test_hostile_files_get_a_clear_answer(demo: Flask, content: bytes | str, words: str) -> None:
    answer = upload(client_as(demo, "admin"), content)
    assert answer.status_code in (400, 422)
    assert words in text(answer) and "Traceback" not in text(answer)
    assert "nichts wurde geändert" in text(answer)


def test_a_file_larger_than_a_request_may_be_is_refused_in_german(demo: Flask) -> None:
    answer = upload(client_as(demo, "admin"), "# " + "x" * (1024 * 1024 + 10) + "\n")
    assert answer.status_code == 413 and "größer als 1 MB" in text(answer)


def test_the_export_downloads_what_flask_export_writes(demo: Flask) -> None:
    answer = client_as(demo, "admin").get("/directory/export")
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    assert yaml.safe_load(answer.get_data(as_text=True)) == exported(demo)
