"""Who asks the API: the bearer token's name and role (`flask --app hotline api-token create`).

Only the token counts: a browser's login cookie opens no API route, so no other site can make a
logged-in browser call the API (which is why the API needs no CSRF token).
"""

from __future__ import annotations

from flask import g, request

from escalation.access import Permission, Role
from hotline import accounts, db
from hotline.api.problems import Refused
from hotline.clock import now
from hotline.models import Engineer
from hotline.web import access

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="hotline"'}


def authenticate() -> access.Who:
    """The token's holder, or 401."""
    g.who = None  # whatever the session cookie said
    kind, _, raw = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() != "bearer" or not raw.strip():
        raise Refused(401, "Send an API token: 'Authorization: Bearer <token>'.", headers=CHALLENGE)
    session = db.session()
    token = accounts.by_token(session, raw.strip(), now())
    if token is None:
        raise Refused(401, "This API token is unknown or revoked.", headers=CHALLENGE)
    engineer = session.get(Engineer, token.engineer_id) if token.engineer_id else None
    session.commit()  # the token's last use
    g.who = access.Who("token", token.name, Role(token.role), engineer.key if engineer else None)
    return g.who


def require(permission: Permission | None) -> access.Who:
    """The token's holder if its role holds `permission` (None: any role), else 401 or 403."""
    who = authenticate()
    if permission is not None and not who.may(permission):
        raise Refused(403, f"A token of the role {who.role} may not do this ({permission}).")
    return who
