"""A voicemail's voice re-page without Twilio: the worker's checks on a simulated clock, and
Twilio's side of the calls the hotline places (its REST API, each engineer's phone, the
customer's phone on a call-back), through the real, signed webhooks.

A twilio `HttpClient` stands in for the REST API: the real `twilio.rest.Client` (the dialer's,
the SMS sender's) builds every request and this answers it. A created call rings on the
simulated clock and plays the engineer's behaviour: picks up (or not), hears the menu, presses
keys, hears the recording, takes the call-back and is put through to the customer, whose phone
shows the caller ID the hotline's `<Dial>` set. Every SMS the worker sends is printed.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from hotline import db, dialer, notify, phones, repage, roster, tickets
from hotline.clock import zone
from hotline.models import Leg as LegRow
from hotline.models import Ticket
from hotline.voice.prompts import seconds_to_say

# What an engineer does when the hotline calls about the voicemail.
BEHAVIOURS = ("take", "hear-take", "pass", "voicemail", "no-answer", "busy", "failed")
KEYS = {  # (behaviour, menu) -> the keys pressed there, in order
    ("take", "repage-key"): ["2"],
    ("hear-take", "repage-key"): ["1", "2"],
    ("pass", "repage-key"): ["3"],
    ("take", "callback-key"): ["1"],
    ("hear-take", "callback-key"): ["1"],
}
PICK_UP = 8  # seconds a phone rings before someone picks up
RING_BUFFER = 5  # Twilio rings a REST-created call up to its timeout plus these seconds
ACCOUNT = "AC" + "0" * 32
CHECK = timedelta(seconds=30)  # the worker's re-page check (hotline/scheduler.py)


@dataclass
class Script:
    engineers: dict[str, str] = field(default_factory=dict)  # key -> behaviour
    default: str = "no-answer"
    customer: bool = True  # the customer answers the call-back
    talk: int = 240  # seconds the call-back lasts
    until: timedelta = timedelta(hours=3)  # the simulation gives up after this long


@dataclass
class Phone:
    """A call the hotline placed, as Twilio runs it."""

    sid: str
    to: str
    caller_id: str
    who: str
    behaviour: str
    url: str
    callback: str
    timeout: int
    state: str = "ringing"  # ringing | answered | ended
    answered: datetime | None = None
    pressed: dict[str, int] = field(default_factory=dict)  # menu -> keys pressed there


class Sim(HttpClient):
    """The clock, the worker and Twilio for one ticket's re-page."""

    def __init__(self, app: Flask, ticket_id: int, start: datetime, script: Script,
                 say: Callable[[str], None], where: ZoneInfo) -> None:  # fmt: skip
        super().__init__(logger=logging.getLogger(__name__), is_async=False)
        self.app, self.ticket_id, self.script, self.out = app, ticket_id, script, say
        self.where = where  # the provider's zone: the transcript's times
        self.at = self.started = start
        self.client = app.test_client()
        self.base = app.config["HOTLINE_PUBLIC_URL"]
        self.validator = RequestValidator(app.config["TWILIO_AUTH_TOKEN"])
        self.events: list[tuple[datetime, int, Callable[[], None]]] = []
        self.order = itertools.count()
        self.calls: dict[str, Phone] = {}
        self.count = 0

    # --- the clock ---------------------------------------------------------------------------

    def clock(self) -> datetime:
        return self.at

    def stamp(self) -> str:
        local = tickets.shown(self.at, self.where)
        return f"[{local[11:19] if local else ''}]"

    def say(self, line: str) -> None:
        self.out(f"{self.stamp()} {line}")

    def schedule(self, seconds: float, what: Callable[[], None]) -> None:
        heapq.heappush(self.events, (self.at + timedelta(seconds=seconds), next(self.order), what))

    def run_until(self, until: datetime) -> None:
        while self.events and self.events[0][0] <= until:
            at, _, what = heapq.heappop(self.events)
            self.at = max(self.at, at)
            what()
        self.at = max(self.at, until)

    # --- the worker --------------------------------------------------------------------------

    def run(self) -> None:
        """Check every 30 s as the worker does, until the call-back was made (or the re-page
        ended) and every phone is quiet, or `Script.until` passed."""
        next_check = self.at
        while self.at - self.started < self.script.until:
            self.run_until(next_check)
            self.work()
            if self.done():
                return
            next_check = self.at + CHECK

    def work(self) -> None:
        with self.app.app_context(), db.new_session() as session:
            repage.due(session, self.at)
            tickets.reannounce(session, self.at)
        self.send()

    def send(self) -> None:
        """The dialer's and the outbox's sending, as their thread and jobs would within a
        second."""
        with self.app.app_context(), db.new_session() as session:
            for _ in range(5):
                if not dialer.send(session, self.at):
                    break
            notify.deliver_due(session, self.at, "sms")

    def done(self) -> bool:
        if any(c.state != "ended" for c in self.calls.values()) or self.events:
            return False
        with self.app.app_context(), db.new_session() as session:
            ticket = session.get(Ticket, self.ticket_id)
            assert ticket is not None
            if ticket.acknowledged_at is not None:
                return True
            return any(e.kind == "re-page ended" for e in ticket.events) or not repage.on()

    # --- Twilio's REST API -------------------------------------------------------------------

    def request(self, method: str, uri: str, params: Any = None, data: Any = None,
                headers: Any = None, auth: Any = None, timeout: Any = None,
                allow_redirects: bool = False) -> Response:  # fmt: skip
        form = dict(data or {})
        self.count += 1
        if method == "POST" and uri.endswith("/Calls.json"):
            return Response(201, json.dumps({"sid": self.create(form), "status": "queued"}))
        if method == "POST" and uri.endswith("/Messages.json"):
            self.say(f"SMS to {self.who(str(form.get('To')))}: {form.get('Body')}")
            return Response(201, json.dumps({"sid": f"SM{self.count:032d}", "status": "queued"}))
        if method == "POST" and "/Calls/" in uri:
            sid = uri.rsplit("/", 1)[-1].removesuffix(".json")
            call = self.calls.get(sid)
            if call is not None and call.state != "ended":
                self.say(f"the hotline hangs up {call.who}'s phone")
                self.schedule(
                    0.5,
                    lambda: self.end(call, "canceled" if call.state == "ringing" else "completed"),
                )
            return Response(200, json.dumps({"sid": sid}))
        return Response(404, json.dumps({"code": 20404, "message": "not simulated"}))

    def who(self, number: str) -> str:
        with self.app.app_context(), db.new_session() as session:
            engineer = roster.engineer_with(session, number)
        return engineer.key if engineer else phones.display(number)

    def create(self, form: dict[str, Any]) -> str:
        sid = f"CA{self.count:032d}"
        to = str(form.get("To", ""))
        who = self.who(to)
        behaviour = self.script.engineers.get(who, self.script.default)
        call = Phone(sid, to, str(form.get("From", "")), who, behaviour, str(form.get("Url", "")),
                     str(form.get("StatusCallback", "")), int(form.get("Timeout", 30)))  # fmt: skip
        self.calls[sid] = call
        self.say(f"the hotline calls {who} at {phones.display(to)} from "
                 f"{phones.display(call.caller_id)} (REST API): {behaviour}")  # fmt: skip
        self.status(call, "ringing")
        if behaviour == "no-answer":
            self.schedule(call.timeout + RING_BUFFER, lambda: self.end(call, "no-answer"))
        elif behaviour in ("busy", "failed"):
            self.schedule(2, lambda: self.end(call, behaviour))
        else:
            self.schedule(PICK_UP, lambda: self.answer(call))
        return sid

    # --- a phone -----------------------------------------------------------------------------

    def post(self, url: str, form: dict[str, str]) -> ET.Element | None:
        path = url.removeprefix(self.base)
        parts = urlsplit(path)
        full = self.base + parts.path + (f"?{parts.query}" if parts.query else "")
        signature = self.validator.compute_signature(full, form)
        response = self.client.post(path, data=form, headers={"X-Twilio-Signature": signature})
        self.send()
        if response.status_code == 204 or not response.get_data():
            return None
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        return ET.fromstring(response.get_data(as_text=True))

    def form(self, call: Phone, **more: str) -> dict[str, str]:
        status = "in-progress" if call.state == "answered" else "ringing"
        return {"CallSid": call.sid, "AccountSid": ACCOUNT, "From": call.caller_id,
                "To": call.to, "Direction": "outbound-api", "CallStatus": status,
                **more}  # fmt: skip

    def status(self, call: Phone, status: str, seconds: int | None = None) -> None:
        more = {"CallDuration": str(seconds)} if seconds is not None else {}
        self.post(call.callback, self.form(call, CallStatus=status, **more))

    def answer(self, call: Phone) -> None:
        if call.state != "ringing":
            return
        call.state, call.answered = "answered", self.at
        self.say(f"{call.who} picks up")
        self.status(call, "in-progress")
        self.play(call, self.post(call.url, self.form(call)))

    def play(self, call: Phone, document: ET.Element | None) -> None:
        """Follow the call's TwiML; what takes time is scheduled, so other phones go on."""
        verbs = list(document) if document is not None else []
        self._verbs(call, verbs)

    def _verbs(self, call: Phone, verbs: list[ET.Element]) -> None:
        while verbs and call.state == "answered":
            verb = verbs.pop(0)
            if verb.tag == "Say":
                self.say(f"  {call.who} hears: {verb.text}")
                self.schedule(seconds_to_say(verb.text or ""), lambda: self._verbs(call, verbs))
                return
            if verb.tag == "Gather":
                self.gather(call, verb, verbs)
                return
            if verb.tag == "Play":
                self.say(f"  {call.who} hears the message ({verb.text})")
                self.schedule(25, lambda: self._verbs(call, verbs))
                return
            if verb.tag == "Redirect":
                self.play(call, self.post(verb.text or "", self.form(call)))
                return
            if verb.tag == "Dial":
                self.dial(call, verb)
                return
            if verb.tag == "Hangup":
                break
        if call.state == "answered":
            self.end(call, "completed")

    def gather(self, call: Phone, gather: ET.Element, rest: list[ET.Element]) -> None:
        action = gather.get("action", "")
        menu = urlsplit(action).path.rsplit("/", 1)[-1]
        keys = KEYS.get((call.behaviour, menu), [])
        done = call.pressed.get(menu, 0)
        said = [s.text or "" for s in gather.iter("Say")]
        self.say(f"  {call.who} hears: {said[0] if said else ''}")
        spoken = seconds_to_say(said[0]) if said else 0
        if done >= len(keys):
            self.say(f"  ({call.who}'s phone: nobody presses a key)")
            wait = spoken * len(said) + float(gather.get("timeout", 5))
            self.schedule(wait, lambda: self._verbs(call, rest))
            return
        key = keys[done]
        call.pressed[menu] = done + 1

        def press() -> None:
            if call.state != "answered":
                return
            self.say(f"  {call.who} presses {key}")
            self.play(call, self.post(action, self.form(call, Digits=key)))

        self.schedule(spoken + 2, press)

    def dial(self, call: Phone, dial: ET.Element) -> None:
        """The call-back: the customer's phone rings, showing the `<Dial>`'s caller ID."""
        number = dial.findtext("Number") or ""
        shown = dial.get("callerId") or call.caller_id
        self.say(f"  the hotline dials the customer at {phones.display(number)}; their "
                 f"phone shows {phones.display(shown)}, not {call.who}'s number")  # fmt: skip
        action = dial.get("action", "")
        if not self.script.customer:
            self.schedule(int(dial.get("timeout", 30)) + RING_BUFFER, lambda: self.play(
                call, self.post(action, self.form(call, DialCallStatus="no-answer",
                                                  DialCallDuration="0"))))  # fmt: skip
            return
        talk = self.script.talk

        def over() -> None:
            self.say(f"  the customer and {call.who} hang up after {talk} s")
            self.play(call, self.post(action, self.form(
                call, DialCallStatus="completed", DialCallDuration=str(talk),
                DialCallSid=f"CA{self.count:032d}")))  # fmt: skip

        def connected() -> None:
            self.say(f"  the customer picks up: {call.who} talks to them")
            self.schedule(talk, over)

        self.schedule(PICK_UP, connected)

    def end(self, call: Phone, status: str) -> None:
        if call.state == "ended":
            return
        seconds = int((self.at - call.answered).total_seconds()) if call.answered else 0
        call.state = "ended"
        self.say(f"{call.who}'s call ends: {status}")
        self.status(call, status, seconds)


def simulate(app: Flask, ticket_id: int, script: Script, say: Callable[[str], None]) -> None:
    """Play the re-page of the voicemail on `ticket_id` from the moment it was left: Twilio's
    REST API is this simulator for its duration (the app's client reaches it)."""
    with app.app_context(), db.new_session() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.state != "callback_pending":
            raise LookupError(f"ticket {ticket_id} has no voicemail waiting for a call-back")
        start, where = repage.left_at(ticket), zone(session)
        placed = session.scalar(select(LegRow.id).where(LegRow.ticket_id == ticket_id).limit(1))
        if ticket.acknowledged_at is not None or placed is not None:
            raise LookupError(f"ticket {ticket_id}'s call-back was taken or re-paged already")
    sim = Sim(app, ticket_id, start, script, say, where)
    names = ("TWILIO_ACCOUNT_SID", "TWILIO_HTTP_CLIENT", "TWILIO_API_URL", "HOTLINE_DIALER_THREAD",
             "CLOCK")  # fmt: skip
    saved = {name: app.config.get(name) for name in names}
    app.config.update(TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_HTTP_CLIENT=sim, TWILIO_API_URL=None,
                      HOTLINE_DIALER_THREAD=False, CLOCK=sim.clock)  # fmt: skip
    try:
        say(f"{sim.stamp()} the voicemail on ticket #{ticket_id} waits for a call-back; "
            f"the worker checks every {CHECK.seconds} s")  # fmt: skip
        sim.run()
    finally:
        app.config.update(saved)
