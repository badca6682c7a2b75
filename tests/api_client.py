"""A client of the JSON API for tests: a token per role, and every answer checked against the
OpenAPI document the app publishes (jsonschema, draft 2020-12, with date-time formats), so a
behaviour test also proves the document describes what the API really answers."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from jsonschema import Draft202012Validator, FormatChecker
from werkzeug.test import TestResponse

from escalation.access import Role
from hotline import accounts, db

ENGINEER = "jonas"  # the engineer token's engineer


def tokens(app: Flask, now: Any) -> dict[str, str]:
    """One token per role, made as `flask api-token create` makes them."""
    with app.app_context():
        session = db.session()
        made = {
            role.value: accounts.create_token(session, f"test {role}", role, now,
                                              ENGINEER if role is Role.ENGINEER else None)[1]
            for role in Role
        }  # fmt: skip
        session.commit()
    return made


class Api:
    def __init__(self, app: Flask, tokens: dict[str, str]) -> None:
        self.client = app.test_client()
        self.tokens = tokens
        self.document = self.client.get("/api/v1/openapi.json").get_json()

    def call(self, method: str, path: str, role: str | None, **options: Any) -> TestResponse:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        answer = self.client.open(f"/api/v1{path}", method=method, headers=headers, **options)
        check(self.document, method, path, answer)
        return answer

    def get(self, path: str, role: str | None = "dispatcher", **query: Any) -> TestResponse:
        return self.call("GET", path, role, query_string=query)

    def post(self, path: str, body: Any, role: str | None = "dispatcher") -> TestResponse:
        return self.call("POST", path, role, json=body)

    def delete(self, path: str, role: str | None = "dispatcher") -> TestResponse:
        return self.call("DELETE", path, role)


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    for template, operations in document["paths"].items():
        pattern = re.sub(r"\\{\w+\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path.split("?")[0]) and method.lower() in operations:
            return operations[method.lower()]  # type: ignore[no-any-return]
    return None


def check(document: dict[str, Any], method: str, path: str, answer: TestResponse) -> None:
    """The answer is one the document names for this operation, of its type and shape."""
    found = operation(document, method, path)
    if found is None:  # no such route: a 404/405 problem, still JSON
        assert answer.status_code in (404, 405) and answer.mimetype == "application/problem+json"
        return
    status = str(answer.status_code)
    assert status in found["responses"], f"{method} {path}: {status} is not documented"
    content = found["responses"][status].get("content")
    if content is None:
        assert not answer.get_data(), f"{method} {path}: {status} has a body"
        return
    assert answer.mimetype in content, f"{method} {path}: {answer.mimetype} not documented"
    schema = content[answer.mimetype]["schema"] | {"components": document["components"]}
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(answer.json)]
    assert not errors, f"{method} {path} {status}: {errors}"
