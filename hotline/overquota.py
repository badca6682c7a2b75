"""A customer beyond the quota three months in a row: the seed says the contract is then
adjusted, so the customer's project lead is told, with the figures, once per streak.

The month-end run calls `tell` in its own transaction: the message is queued with the run
or not at all. The streak is decided by escalation.billing.over_quota_streak.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation import billing as rule
from hotline import notify, texts
from hotline.models import BillingLine, BillingRun, Customer


def tell(session: Session, run: BillingRun) -> int:
    """Queue the message for every customer of `run` whose streak it makes or extends;
    the key names the streak's first month, so a fourth month tells nobody again."""
    runs = session.scalars(
        select(BillingRun).where(BillingRun.month <= run.month).order_by(BillingRun.month)
    ).all()
    told = 0
    for customer_id in sorted({x.customer_id for x in run.lines if x.extra_minutes > 0}):
        customer = session.get_one(Customer, customer_id)
        lines = session.scalars(
            select(BillingLine).where(
                BillingLine.customer_id == customer_id,
                BillingLine.run_id.in_([r.id for r in runs]),
            )
        ).all()
        by_run: dict[int, list[BillingLine]] = defaultdict(list)
        for x in lines:
            by_run[x.run_id].append(x)
        streak = rule.over_quota_streak(
            [(r.month, sum(x.extra_minutes for x in by_run[r.id])) for r in runs]
        )
        lead = customer.team.project_lead if customer.team else None
        if not streak or lead is None or not lead.email:
            continue
        figures = [_figures(month, by_run[r.id]) for r in runs if (month := r.month) in streak]
        mail = texts.email("over_quota", customer=customer, lead=lead, months=figures)
        key = f"over-quota:{customer.number}:{streak[0]:%Y-%m}"
        told += notify.enqueue_email(session, lead.email, mail.subject, mail.text, key)
    return told


def _figures(month: date, lines: list[BillingLine]) -> dict[str, object]:
    """One month of the streak as the message shows it: hours against the quota then."""
    return {
        "month": month,
        "quota": rule.cents(lines[0].monthly_hours),
        "billed": rule.hours(sum(x.billed_minutes for x in lines)),
        "extra": rule.hours(sum(x.extra_minutes for x in lines)),
        "extra_amount": sum((x.extra_amount for x in lines), Decimal("0.00")),
    }
