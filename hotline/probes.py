"""What machines ask: `GET /healthz` (monitoring, the compose file's health check) and
`GET /metrics` (Prometheus). No session, no form: nothing a browser posts."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from hotline import health

probes = Blueprint("probes", __name__)


@probes.get("/healthz")
def healthz() -> Response:
    """200 when the hotline can take calls and tell people about them, 503 when it cannot."""
    document, status = health.check()
    response = jsonify(document)
    response.status_code = status
    return response
