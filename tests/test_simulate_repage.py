"""`simulate-repage` as the README runs it: a voicemail left at night is re-paged by voice until
an engineer takes it and calls the customer back through the central number."""

from __future__ import annotations

import shlex
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from hotline import db
from hotline.models import Engineer, Leg, Ticket

README = (Path(__file__).parent.parent / "README.md").read_text()


def readme_line(start: str) -> list[str]:
    """The README's command that begins with `start`, as its words (without `flask`)."""
    [line] = [line for line in README.splitlines() if line.startswith(start)]
    return shlex.split(line.split("  #")[0])[1:]


def test_the_readme_re_page_plays_to_the_call_back_through_the_central_number(app: Flask) -> None:
    app.config["TWILIO_ACCOUNT_SID"] = None  # the embedded default: no Twilio account
    runner = app.test_cli_runner()
    voicemail = readme_line('flask simulate-call --from "030 1234567" --others no-answer '
                            "--message 30 --at")  # fmt: skip
    repage = readme_line("flask simulate-repage")
    for args in (["seed-demo", "--week", "2026-11-30"], voicemail, repage):
        done = runner.invoke(args=args)
        assert done.exit_code == 0, (args, done.output)
    out = done.output
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if "the hotline calls jonas" in line)
    assert lines[first].startswith("[03:14:46]")  # 10 minutes after the voicemail was left
    assert "from 030 9876540 (REST API)" in lines[first]  # the central number
    assert "(jonas's phone: nobody presses a key)" in out  # his mailbox takes nothing
    assert "the hotline calls lena at 0171 5550103 from 030 9876540" in out
    assert "lena hears the message" in out and "lena presses 2" in out
    assert "their phone shows 030 9876540, not lena's number" in out
    assert "SMS to jonas: Rückruf zu Notfall #" in out  # the others hear who took it
    assert "called back 240 s through the hotline (phone time)" in out
    with app.app_context():
        session = db.session()
        ticket = session.scalars(select(Ticket)).one()
        lena = session.scalar(select(Engineer).where(Engineer.key == "lena"))
        assert lena is not None
        assert (ticket.acknowledged_by_id, ticket.accepted_by_id) == (lena.id, lena.id)
        assert ticket.callback_seconds == 240
        legs = session.scalars(select(Leg).order_by(Leg.id)).all()
        assert [(leg.engineer.key, leg.from_number) for leg in legs if leg.engineer] == [
            ("jonas", "+49309876540"), ("lena", "+49309876540"),
        ]  # fmt: skip
        assert {leg.status for leg in legs} == {"completed"}
    again = runner.invoke(args=repage)  # nothing left to re-page: says so
    assert again.exit_code != 0 and "no voicemail waits" in again.output
