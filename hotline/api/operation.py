"""`operation`: one declaration per route that both checks the request and describes it.

A route names its permission, its query and body models and its answer model; the wrapper
asks who it is (401/403), validates the query and the body with those models (400/422), calls
the route, and writes its answer with the answer model. The same declaration is what
hotline/api/document.py turns into the OpenAPI document, so the two cannot disagree.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Response, request
from pydantic import BaseModel, ValidationError

from escalation.access import Permission
from hotline import clock, db
from hotline.api import api
from hotline.api.auth import require
from hotline.api.problems import FieldError, Refused

JSON = "application/json"


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str  # the Flask rule under /api/v1, e.g. /tickets/<id:ticket_id>
    name: str  # the route's function: the document's operationId
    tag: str
    summary: str
    description: str
    permission: Permission | None
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    answer: type[BaseModel] | None  # None: 204, no content
    status: int
    errors: tuple[int, ...] = field(default=())

    @property
    def path_parameters(self) -> list[tuple[str, str]]:
        """(converter, name) of each path parameter, in order."""
        return re.findall(r"<(\w+):(\w+)>", self.rule)


OPERATIONS: list[Operation] = []


def operation(
    method: str,
    rule: str,
    *,
    tag: str,
    permission: Permission | None,
    answer: type[BaseModel] | None,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Declare a route: `view(who, **path, query=..., body=...)` returns an `answer` model."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Response]:
        summary, _, description = (view.__doc__ or "").strip().partition("\n")
        found = {401} | ({403} if permission else set()) | set(errors)
        found |= {422} if query or body else set()
        found |= {400, 413, 422} if body else set()
        found |= {404} if "<" in rule else set()
        OPERATIONS.append(
            Operation(
                method.upper(),
                rule,
                view.__name__,
                tag,
                summary.strip(),
                " ".join(description.split()),
                permission,
                query,
                body,
                answer,
                status,
                tuple(sorted(found)),
            )
        )

        @functools.wraps(view)
        def run(**path: Any) -> Response:
            who = require(permission)
            context = {"zone": clock.zone(db.session())}
            given: dict[str, Any] = {}
            if query is not None:
                given["query"] = _checked(query, request.args.to_dict(), "query", context)
            if body is not None:
                given["body"] = _checked(body, _json(), "body", context)
            result = view(who, **path, **given)
            if answer is None:
                return Response(status=204)
            return Response(result.model_dump_json(), status=status, mimetype=JSON)

        api.add_url_rule(
            rule, view.__name__, run, methods=[method.upper()], provide_automatic_options=False
        )  # OPTIONS: 405, as any other
        return run

    return decorate


def _json() -> Any:
    try:
        return json.loads(request.get_data(cache=False) or b"")
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise Refused(400, "The body must be JSON (Content-Type: application/json).") from None


def _checked(model: type[BaseModel], data: Any, where: str, context: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        errors = [
            FieldError(loc=[where, *e["loc"]], msg=e["msg"])
            for e in exc.errors(include_url=False, include_input=False)
        ]
        detail = "; ".join(f"{'.'.join(map(str, e.loc[1:])) or where}: {e.msg}" for e in errors)
        raise Refused(422, detail, errors) from None
