"""Every error of the API as JSON (RFC 9457 problem details: status, title, detail), never a
page or a stack trace, including the URLs under /api/ that match no route."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, request
from pydantic import BaseModel, Field
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound
from werkzeug.http import HTTP_STATUS_CODES

from hotline.api import api

log = logging.getLogger(__name__)
TYPE = "application/problem+json"


class FieldError(BaseModel):
    """One value that was refused, and where it was."""

    loc: list[str | int] = Field(description="the path to the value: `body`/`query`, then names")
    msg: str = Field(description="what is wrong with it")


class Problem(BaseModel):
    """An error: the HTTP status, its name, and what went wrong in words."""

    status: int = Field(description="the HTTP status code", ge=400, le=599)
    title: str = Field(description="the status's name, e.g. `Not Found`")
    detail: str = Field(description="what went wrong, for a person")
    errors: list[FieldError] | None = Field(
        None, description="with 422: every value that was refused"
    )


class Refused(HTTPException):
    """Raised by a route: answer `status` with `detail` (and, for 422, the field errors)."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = status
        self.errors = errors
        self.extra = headers or {}

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [*super().get_headers(*args, **kwargs), *self.extra.items()]


TITLES = {**HTTP_STATUS_CODES, 422: "Unprocessable Content"}
KEPT = ("WWW-Authenticate", "Allow")  # headers of an error that a client needs


def answer(
    status: int,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = Problem(status=status, title=TITLES.get(status, "Error"), detail=detail, errors=errors)
    return Response(
        body.model_dump_json(exclude_none=True), status=status, mimetype=TYPE, headers=headers
    )


@api.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Response:
    status = exc.code or 500
    detail = exc.description or TITLES.get(status, "")
    if isinstance(exc, NotFound) and not isinstance(exc, Refused):
        detail = "There is no such resource."
    headers = {k: v for k, v in exc.get_headers() if k in KEPT}
    return answer(status, detail, getattr(exc, "errors", None), headers)


# The pages answer 413 with a German page, registered by its code, and Flask prefers a handler
# for the code to one for the class: the API names the code too, so its clients get JSON.
api.register_error_handler(413, _http)


@api.errorhandler(Exception)
def _crash(exc: Exception) -> Response:
    log.exception("API request %s %s failed", request.method, request.path)
    return answer(500, InternalServerError.description)


@api.before_app_request
def _unrouted() -> Response | None:
    """A URL under /api/ that matches no route (404), or not with this method (405): Flask
    gives such requests no blueprint, so the blueprint's handlers would never see them."""
    failed: Any = request.routing_exception
    if failed is None or not request.path.startswith(api.url_prefix or "/api"):
        return None
    if isinstance(failed, HTTPException) and failed.code == 405:
        allowed = failed.get_response().headers.get("Allow", "")
        return answer(
            405,
            f"{request.method} is not allowed here; allowed: {allowed}.",
            headers={"Allow": allowed},
        )
    if isinstance(failed, HTTPException) and failed.code in (301, 308):
        return None  # a redirect to the canonical URL (a missing slash): let Flask answer it
    return answer(404, "There is no such resource.")
