"""What machines ask: `GET /healthz` (monitoring, the compose file's health check) and
`GET /metrics` (Prometheus). No session, no form: nothing a browser posts."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import exposition

from hotline import health, metrics

probes = Blueprint("probes", __name__)


@probes.get("/healthz")
def healthz() -> Response:
    """200 when the hotline can take calls and tell people about them, 503 when it cannot."""
    document, status = health.check()
    response = jsonify(document)
    response.status_code = status
    return response


# Prometheus's classic text format, which every Prometheus version reads (newer clients
# announce 1.0.0, which older servers refuse to parse).
TEXT_FORMAT = getattr(exposition, "CONTENT_TYPE_PLAIN_0_0_4", exposition.CONTENT_TYPE_LATEST)
LOOPBACK = ("127.0.0.1", "::1")
FORWARDED = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def may_scrape() -> bool:
    """With HOTLINE_METRICS_TOKEN: `Authorization: Bearer TOKEN`. Without it: only a client on
    this machine that no proxy forwarded (a reverse proxy on this host connects from loopback
    too, but says whom it forwards)."""
    token = current_app.config.get("HOTLINE_METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    forwarded = any(name in request.headers for name in FORWARDED)
    return request.remote_addr in LOOPBACK and not forwarded


@probes.get("/metrics")
def metrics_() -> Response:
    """Prometheus's scrape (hotline/metrics.py)."""
    if not may_scrape():
        return Response("metrics: set HOTLINE_METRICS_TOKEN and send it as a bearer token\n",
                        status=403, mimetype="text/plain")  # fmt: skip
    return Response(metrics.exposition(), content_type=TEXT_FORMAT)
