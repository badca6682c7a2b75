"""The OpenAPI 3.1 document at /api/v1/openapi.json, built from the declarations of the routes
(hotline/api/operation.py): the query, body and answer models that check every request are the
schemas it publishes (pydantic's JSON Schema is draft 2020-12, the dialect of OpenAPI 3.1).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from flask import Response, json
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from hotline.api import api
from hotline.api.converters import SCHEMAS
from hotline.api.operation import JSON, OPERATIONS, Operation
from hotline.api.problems import TITLES, TYPE, Problem

VERSION = "1.0.0"
REF = "#/components/schemas/{model}"
DESCRIPTION = """The emergency hotline's tickets, displaced appointments, rota and customers.

Every request carries a bearer token: `Authorization: Bearer hl_...`, made with
`flask --app hotline api-token create --role ROLE --name NAME`. A token's role may what an
account of that role may on the pages. Times are RFC 3339; a time without an offset is
wall-clock time of the provider's zone, and every time in an answer carries the provider's
offset. Errors are `application/problem+json`: `{"status", "title", "detail"}`.
"""


@api.get("/openapi.json")
def openapi() -> Response:
    """The document itself needs no token: it holds no data, only the shapes."""
    return Response(json.dumps(document()), mimetype=JSON)


@functools.cache
def document() -> dict[str, Any]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(Problem, "serialization")]
    for op in OPERATIONS:
        models += [(m, "validation") for m in (op.query, op.body) if m is not None]
        models += [(op.answer, "serialization")] if op.answer is not None else []
    refs, found = models_json_schema(list(dict.fromkeys(models)), ref_template=REF)
    schemas: dict[str, Any] = found.get("$defs", {})
    queries = {op.query for op in OPERATIONS if op.query is not None}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path = re.sub(r"<\w+:(\w+)>", r"{\1}", op.rule)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op, refs, schemas)
    for query in queries:  # published as parameters, not as schemas of their own
        schemas.pop(_name(refs[(query, "validation")]), None)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hotline API", "version": VERSION, "description": DESCRIPTION},
        "servers": [{"url": api.url_prefix}],
        "security": [{"token": []}],
        "tags": [{"name": t} for t in dict.fromkeys(op.tag for op in OPERATIONS)],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "flask --app hotline api-token create",
                }
            },
        },
    }


def _name(ref: dict[str, Any]) -> str:
    return str(ref["$ref"]).rsplit("/", 1)[1]


def _operation(op: Operation, refs: dict[Any, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": SCHEMAS[converter]}
        for converter, name in op.path_parameters
    ]
    if op.query is not None:
        shape = schemas[_name(refs[(op.query, "validation")])]
        for name, schema in shape.get("properties", {}).items():
            schema = dict(schema)
            described = schema.pop("description", None)
            schema.pop("title", None)
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in shape.get("required", []),
                    "schema": schema,
                }
                | ({"description": described} if described else {})
            )
    done: dict[str, Any] = {"description": "done"}
    if op.answer is not None:
        done["content"] = {JSON: {"schema": refs[(op.answer, "serialization")]}}
    responses = {str(op.status): done}
    for status in op.errors:
        responses[str(status)] = {
            "description": TITLES[status],
            "content": {TYPE: {"schema": refs[(Problem, "serialization")]}},
        }
    found: dict[str, Any] = {
        "operationId": op.name,
        "tags": [op.tag],
        "summary": op.summary,
        "parameters": parameters,
        "responses": responses,
    }
    if op.description:
        found["description"] = op.description
    if op.permission is not None:
        found["x-permission"] = str(op.permission)
    if op.body is not None:
        found["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": refs[(op.body, "validation")]}},
        }
    return found
