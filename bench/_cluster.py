"""The web instances of bench/cluster.py: the product's app, plus one bare route for the floor.

`/bench/fixed` answers a TwiML document built once, of about a webhook's size, and reads nothing:
Flask, waitress, the proxy and the app's response headers are in the floor, none of the
hotline's work. The servers run `flask --app _cluster serve`, the Procfile's server.
"""

from __future__ import annotations

from flask import Response
from twilio.twiml.voice_response import VoiceResponse

from hotline import create_app

app = create_app()

_fixed = VoiceResponse()
_gather = _fixed.gather(action="/voice/confirm?ticket=1&try=1", timeout=6, num_digits=1)
_gather.say("Notdienst Bench. Guten Tag, Kunde 1 GmbH. Ist es ein Notfall?", language="de-DE")
_gather.say("Drücken Sie die 1 für einen Notfall, die 2 für alles andere.", language="de-DE")
_BODY = str(_fixed)


def fixed() -> Response:
    return Response(_BODY, mimetype="text/xml")


app.add_url_rule("/bench/fixed", view_func=app.extensions["csrf"].exempt(fixed), methods=["POST"])
