"""`/directory`: the provider's customers, teams and engineers as the last import left them.

Every account may read it (`Permission.DIRECTORY`): the people who work an emergency need the
customer's numbers, contract and emergency notes. A customer's phone numbers and blocks are the
customer company's lines, kept in the directory, not a caller's personal data (those live on
tickets and are shown only with `Permission.CALLER_DATA`), so they are shown to every reader.
The keypad PIN is a credential and is shown only to those who may change the directory.
"""

from __future__ import annotations

from typing import Any

import yaml
from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from escalation.access import Permission
from hotline import clock, db, phones
from hotline import directory as directory_files
from hotline.directory import DirectoryError, loader, preview, staging
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


# --- the import: upload, preview, apply (admins: Permission.EDIT_DIRECTORY) ----------------

SECTION_NAMES = {
    "provider": "Dienstleister", "teams": "Teams", "engineers": "Techniker",
    "customers": "Kunden", "rotations": "Rotationen", "overrides": "Vertretungen",
    "absences": "Abwesenheiten", "appointments": "Termine",
}  # fmt: skip
KINDS = {
    "added": "neu", "changed": "geändert", "ended": "endet jetzt", "removed": "entfällt",
    "deactivated": "wird deaktiviert", "kept": "nicht in der Datei: bleibt unverändert",
}  # fmt: skip


def _import_page(**context: Any) -> str:
    return render_template("directory/import.html", sections=SECTION_NAMES, kinds=KINDS,
                           limit=current_app.config["MAX_CONTENT_LENGTH"], **context)  # fmt: skip


def _read_upload(raw: bytes) -> tuple[Any, list[str]]:
    """The uploaded bytes as data, or the problems in German (hostile input included)."""
    if len(raw) > loader.MAX_BYTES:
        return None, [f"Die Datei ist größer als {loader.MAX_BYTES // 2**20} MB: das ist kein "
                      "Verzeichnis."]  # fmt: skip
    if not raw.strip():
        return None, ["Die Datei ist leer."]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [f"Die Datei ist kein UTF-8-Text (Byte {raw[exc.start]:#04x} an Stelle "
                      f"{exc.start}). Bitte als UTF-8 speichern."]  # fmt: skip
    try:
        return loader.parse(text), []
    except yaml.YAMLError as exc:
        return None, ["Die Datei ist kein gültiges YAML oder enthält Steuerzeichen: "
                      + loader.where(exc)]  # fmt: skip


@web.get("/directory/import")
@access.needs(Permission.EDIT_DIRECTORY)
def directory_import() -> str:
    return _import_page()


@web.get("/directory/export")
@access.needs(Permission.EDIT_DIRECTORY)
def directory_export() -> Response:
    """The directory as it stands, as `flask export` writes it: the file to edit and upload."""
    text = directory_files.dump(directory_files.export_directory(db.session()))
    return Response(
        text,
        mimetype="application/yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="verzeichnis.yaml"'},
    )


@web.post("/directory/import")
@access.needs(Permission.EDIT_DIRECTORY)
def directory_preview() -> ResponseReturnValue:
    """Read the upload whole, check it as import does, and show what it would change."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(errors=["Bitte eine Verzeichnisdatei (YAML) auswählen."]), 400
    raw = upload.stream.read(loader.MAX_BYTES + 1)
    data, problems = _read_upload(raw)
    if problems:
        return _import_page(errors=problems, filename=upload.filename), 400
    session = db.session()
    try:
        changes = preview.preview(session, data, clock.now())
    except DirectoryError as exc:
        return _import_page(errors=exc.errors + exc.warnings, filename=upload.filename), 422
    name = staging.stage(current_app.instance_path, raw.decode("utf-8"))
    return _import_page(preview=changes, staged=name, filename=upload.filename,
                        fingerprint=preview.fingerprint(session))  # fmt: skip


@web.post("/directory/import/apply")
@access.needs(Permission.EDIT_DIRECTORY)
def directory_apply() -> ResponseReturnValue:
    """Import the previewed file, all of it or nothing, if the directory is still the one the
    preview was made against; otherwise show the new preview."""
    session = db.session()
    name = request.form.get("staged", "")
    text = staging.staged(current_app.instance_path, name)
    if text is None:
        return _import_page(errors=["Die Vorschau ist abgelaufen. Bitte die Datei noch einmal "
                                    "hochladen."]), 410  # fmt: skip
    data = loader.parse(text)
    if request.form.get("fingerprint") != preview.fingerprint(session):
        changes = preview.preview(session, data, clock.now())
        return _import_page(preview=changes, staged=name, fingerprint=preview.fingerprint(session),
                            stale=True), 409  # fmt: skip
    try:
        summary = directory_files.import_directory(
            session, data, request.form.get("accept_warnings") == "1"
        )
    except DirectoryError as exc:
        return _import_page(errors=exc.errors, warnings=exc.warnings, again=True), 422
    access.audit("import directory", "directory", summary=summary.lines())
    session.commit()
    staging.drop(current_app.instance_path, name)
    flash("Verzeichnis übernommen: " + "; ".join(summary.lines()))
    return redirect(url_for("web.directory"))
