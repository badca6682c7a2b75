"""Customers and their numbers: the lines that identify a caller (exact numbers and blocks)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from sqlalchemy import select

from escalation.access import Permission
from hotline import db
from hotline.api.operation import operation
from hotline.api.problems import Refused
from hotline.api.types import Answer
from hotline.models import Customer
from hotline.web.access import Who


class PhoneAnswer(Answer):
    kind: Literal["number", "block"] = Field(
        description="`number`: exactly this E.164 number; `block`: every number it begins"
    )
    value: str = Field(description="E.164, or the block's E.164 prefix")
    label: str | None = Field(description="e.g. Empfang")


class CustomerAnswer(Answer):
    number: str = Field(description="the customer number (Kundennummer), typed on the keypad")
    name: str
    team: str | None = Field(description="the team that looks after it (its key)")
    contact: str | None = Field(description="the fixed contact's engineer key")
    language: str = Field(description="what its callers hear: de or en")
    phones: list[PhoneAnswer]


class CustomerList(Answer):
    customers: list[CustomerAnswer] = Field(description="by customer number")


def _customer(c: Customer) -> CustomerAnswer:
    return CustomerAnswer(
        number=c.number,
        name=c.name,
        team=c.team.key if c.team else None,
        contact=c.contact.key if c.contact else None,
        language=c.language,
        phones=[PhoneAnswer(kind=p.kind, value=p.value, label=p.label) for p in c.phones],  # type: ignore[arg-type]
    )


@operation(
    "GET", "/customers", tag="customers", permission=Permission.DIRECTORY, answer=CustomerList
)
def customers(who: Who) -> CustomerList:
    """Every customer with its numbers and blocks"""
    found = db.session().scalars(select(Customer).order_by(Customer.number))
    return CustomerList(customers=[_customer(c) for c in found])


@operation(
    "GET",
    "/customers/<key:number>",
    tag="customers",
    permission=Permission.DIRECTORY,
    answer=CustomerAnswer,
)
def customer(who: Who, number: str) -> CustomerAnswer:
    """One customer by its customer number, with its numbers and blocks"""
    found = db.session().scalar(select(Customer).where(Customer.number == number))
    if found is None:
        raise Refused(404, f"There is no customer {number!r}.")
    return _customer(found)
