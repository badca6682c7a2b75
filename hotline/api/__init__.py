"""The JSON API, /api/v1: another door into the services the pages and commands use.

A program asks with a bearer token (`flask --app hotline api-token create`); the token's role
holds the same permissions as an account's (escalation/access.py). Each resource is a small
module; every route is declared with `operation` (hotline/api/operation.py), which validates
the request with pydantic models and records them, so the OpenAPI document at
/api/v1/openapi.json is built from the very models that check the requests and shape the
answers (hotline/api/document.py). Errors are problem+json (hotline/api/problems.py).
"""

from __future__ import annotations

import importlib

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")
# The modules holding the routes, in the order the document lists them.
RESOURCES = ["tickets", "appointments", "oncall", "rota", "customers"]


def register() -> Blueprint:
    from hotline.api import converters, document, problems  # noqa: F401 - they register

    for resource in RESOURCES:
        importlib.import_module(f"hotline.api.{resource}")
    return api
