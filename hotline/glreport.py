"""The half-year report for the GL-JourFixe (the seed: every six months with the customer's
management): per month the hours against the quota, the emergencies and their §2 surcharges,
the customer's appointments an emergency displaced, and two charts; a PDF in the customer's
language (`flask gl-report`, and the JourFixe page).

The figures are the billing's (hotline/billing.py): a closed month as its run billed it, a month
still open as far as it is resolved and entered. Drawn with ReportLab: its charts are vector
graphics in the PDF itself, so the report needs no plotting library and no fonts of the host.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation.billing import Line, Terms, cents, hours, quota_share
from escalation.displacement import DISPLACING
from escalation.jourfixe import Half
from hotline import appointments, billing, jourfixe, reports
from hotline.models import Appointment, BillingRun, Customer, Displacement, Ticket


@dataclass(frozen=True)
class MonthFigures:
    month: date
    quota: Decimal  # hours, the quota in force that month
    used_minutes: int  # billed minutes: time entries and emergencies
    extra_minutes: int
    extra_amount: Decimal
    surcharge: Decimal
    emergencies: int
    closed: bool  # billed by the month-end run; else as far as it is known

    @property
    def used(self) -> Decimal:
        return hours(self.used_minutes)


@dataclass(frozen=True)
class Report:
    customer: Customer
    half: Half
    months: list[MonthFigures]  # the months begun by `now`
    emergencies: list[tuple[Ticket, Line | None]]
    moved: list[Appointment]  # the customer's own appointments an emergency displaced
    gl: datetime | None  # the GL-JourFixe it is for
    lead: str | None
    provider: str
    now: datetime


def report(session: Session, customer: Customer, half: Half, now: datetime) -> Report:
    zone = appointments.planning(session).zone
    months: list[MonthFigures] = []
    lines: dict[int, Line] = {}
    for month in half.months:
        start = billing.month_start(month, zone)
        if start > now:
            break
        until = min(now, billing.month_start(billing.next_month(month), zone))
        found = billing.month_lines(session, customer, month, until)
        lines |= {x.ticket_id: x for x in found if x.ticket_id is not None}
        closed = session.scalar(select(BillingRun.id).where(BillingRun.month == month))
        months.append(
            MonthFigures(
                month, cents(billing.terms(customer.contract, month).monthly_hours),
                sum(x.billed_minutes for x in found), sum(x.extra_minutes for x in found),
                sum((x.extra_amount for x in found), Decimal("0.00")),
                sum((x.surcharge for x in found), Decimal("0.00")),
                sum(1 for x in found if x.ticket_id is not None), closed is not None,
            )
        )  # fmt: skip
    begin = billing.month_start(half.start, zone)
    end = min(now, billing.month_start(half.end, zone))
    emergencies = session.scalars(
        select(Ticket)
        .where(
            Ticket.customer_id == customer.id,
            Ticket.accepted_at >= begin,
            Ticket.accepted_at < end,
        )
        .order_by(Ticket.accepted_at, Ticket.id)
    ).all()
    moved = session.scalars(
        select(Appointment)
        .join(Displacement, Displacement.appointment_id == Appointment.id)
        .where(
            Appointment.customer_id == customer.id,
            Displacement.outcome.in_(DISPLACING),
            Displacement.decided_at >= begin,
            Displacement.decided_at < end,
        )
        .distinct()
        .order_by(Appointment.starts_at)
    ).all()
    # The GL-JourFixe that looks back on this half: the first from its last month on.
    last = billing.month_start(half.months[-1], zone)
    gl = next((g.at for g in customer.gl_jourfixes if g.at >= last), None)
    lead = jourfixe.lead(customer)
    return Report(
        customer, half, months, [(t, lines.get(t.id)) for t in emergencies], list(moved), gl,
        lead.name if lead else None, appointments.provider(session).name, now,
    )  # fmt: skip


# --- the PDF ----------------------------------------------------------------------------------

WORDS: dict[str, dict[str, str]] = {
    "de": {
        "title": "Halbjahresbericht zum GL-JourFixe", "half": "{part}. Halbjahr {year}",
        "for": "für den GL-JourFixe am {day}", "lead": "Projektleitung",
        "hours": "Stunden je Monat gegen das Stundenkontingent", "month": "Monat",
        "quota": "Kontingent (Std.)", "used": "geleistet (Std.)", "share": "Anteil",
        "extra": "Mehraufwand (Std.)", "extra_amount": "Mehraufwand (EUR)",
        "surcharge": "Aufschläge §2 (EUR)", "state": "Stand", "closed": "abgerechnet",
        "open": "laufend", "total": "Summe", "emergencies": "Notfälle und ihre Aufschläge",
        "accepted": "angenommen", "minutes": "Minuten", "displaced": "verdrängte Termine",
        "waived": "erlassen", "in_progress": "in Bearbeitung", "none": "keine",
        "moved": "Ihre Termine, die wegen eines Notfalls verschoben oder abgesagt wurden",
        "appointment": "Termin", "outcome": "Ergebnis", "rescheduled": "verschoben auf",
        "cancelled": "abgesagt", "chart_hours": "Geleistete Stunden und Kontingent je Monat",
        "chart_emergencies": "Notfälle je Monat", "as_of": "Stand: {at}",
        "date": "%d.%m.%Y", "time": "%d.%m.%Y %H:%M", "page": "Seite",
    },
    "en": {
        "title": "Half-year report for the GL-JourFixe", "half": "{year} H{part}",
        "for": "for the GL-JourFixe on {day}", "lead": "Project lead",
        "hours": "Hours per month against the hour quota", "month": "Month",
        "quota": "Quota (h)", "used": "Worked (h)", "share": "Share", "extra": "Extra (h)",
        "extra_amount": "Extra (EUR)", "surcharge": "Surcharges §2 (EUR)", "state": "State",
        "closed": "billed", "open": "running", "total": "Total",
        "emergencies": "Emergencies and their surcharges", "accepted": "accepted",
        "minutes": "Minutes", "displaced": "displaced appointments", "waived": "waived",
        "in_progress": "in progress", "none": "none",
        "moved": "Your appointments moved or cancelled because of an emergency",
        "appointment": "Appointment", "outcome": "Outcome", "rescheduled": "moved to",
        "cancelled": "cancelled", "chart_hours": "Hours worked and quota per month",
        "chart_emergencies": "Emergencies per month", "as_of": "As of {at}",
        "date": "%Y-%m-%d", "time": "%Y-%m-%d %H:%M", "page": "page",
    },
}  # fmt: skip


def pdf(session: Session, found: Report) -> bytes:
    """The report as a PDF (A4), in the customer's language; the same bytes for the same data."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    language = appointments.language(found.customer)
    w = WORDS[language]
    zone = appointments.planning(session).zone

    def n(value: object) -> str:
        text = str(value)
        return text.replace(".", ",") if language == "de" else text

    styles = getSampleStyleSheet()
    out = io.BytesIO()
    title = f"{w['title']}: {found.customer.name}"
    doc = SimpleDocTemplate(
        out, pagesize=A4, title=title, author=found.provider, subject=str(found.half),
        leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm, bottomMargin=2 * cm,
        invariant=1,
    )  # fmt: skip
    grid = TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9), ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
    ])  # fmt: skip

    def para(text: str, style: str = "Normal") -> Any:
        return Paragraph(escape(text), styles[style])

    half = w["half"].format(part=found.half.part, year=found.half.year)
    story: list[Any] = [
        para(w["title"], "Title"),
        para(f"{found.customer.name} ({found.customer.number}) · {half}", "Heading2"),
    ]
    facts = [w["as_of"].format(at=found.now.astimezone(zone).strftime(w["time"]))]
    if found.gl is not None:
        facts.insert(0, w["for"].format(day=found.gl.astimezone(zone).strftime(w["time"])))
    if found.lead:
        facts.append(f"{w['lead']}: {found.lead}")
    story += [para(" · ".join(facts)), Spacer(1, 0.4 * cm), para(w["hours"], "Heading3")]

    rows = [[w["month"], w["quota"], w["used"], w["share"], w["extra"], w["extra_amount"],
             w["surcharge"], w["state"]]]  # fmt: skip
    for m in found.months:
        share = reports.percent(quota_share(m.used_minutes, Terms(monthly_hours=m.quota)))
        rows.append([
            m.month.strftime("%m/%Y" if language == "de" else "%Y-%m"), n(m.quota), n(m.used),
            "-" if share is None else f"{share} %", n(hours(m.extra_minutes)),
            n(m.extra_amount), n(m.surcharge),
            w["closed"] if m.closed else w["open"],
        ])  # fmt: skip
    rows.append([
        w["total"], n(sum((m.quota for m in found.months), Decimal("0.00"))),
        n(hours(sum(m.used_minutes for m in found.months))), "",
        n(hours(sum(m.extra_minutes for m in found.months))),
        n(sum((m.extra_amount for m in found.months), Decimal("0.00"))),
        n(sum((m.surcharge for m in found.months), Decimal("0.00"))), "",
    ])  # fmt: skip
    table = Table(rows, repeatRows=1)
    table.setStyle(grid)
    table.setStyle(TableStyle([("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 9)]))
    story += [table, Spacer(1, 0.5 * cm), _charts(found, w)]

    story += [Spacer(1, 0.4 * cm), para(w["emergencies"], "Heading3")]
    if found.emergencies:
        rows = [["#", w["accepted"], w["minutes"], w["displaced"], w["surcharge"]]]
        for ticket, line in found.emergencies:
            assert ticket.accepted_at is not None
            surcharge = (
                w["in_progress"] if line is None
                else w["waived"] if line.waived
                else n(line.surcharge)
            )  # fmt: skip
            rows.append([
                str(ticket.id), ticket.accepted_at.astimezone(zone).strftime(w["time"]),
                str(line.billed_minutes) if line else "-",
                str(len(line.displaced)) if line else "-", surcharge,
            ])  # fmt: skip
        table = Table(rows, repeatRows=1)
        table.setStyle(grid)
        story.append(table)
    else:
        story.append(para(w["none"]))

    story += [Spacer(1, 0.4 * cm), para(w["moved"], "Heading3")]
    if found.moved:
        rows = [[w["appointment"], w["outcome"]]]
        for a in found.moved:
            was = (a.original_starts_at or a.starts_at).astimezone(zone).strftime(w["time"])
            outcome = (
                w["cancelled"] if a.status == "cancelled"
                else f"{w['rescheduled']} {a.starts_at.astimezone(zone).strftime(w['time'])}"
            )  # fmt: skip
            rows.append([Paragraph(escape(f"{was} {a.title}"), styles["Normal"]), outcome])
        table = Table(rows, repeatRows=1, colWidths=[10 * cm, 7 * cm])
        table.setStyle(grid)
        table.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "LEFT")]))
        story.append(table)
    else:
        story.append(para(w["none"]))
    footer = f"{found.provider} · {found.customer.name} · {half} · {w['page']} %d"

    def page(canvas: Any, _doc: Any) -> None:
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(2 * cm, 1.2 * cm, footer % canvas.getPageNumber())

    doc.build(story, onFirstPage=page, onLaterPages=page)
    return out.getvalue()


def _charts(found: Report, w: dict[str, str]) -> Any:
    """Two bar charts side by side: hours worked against the quota, and emergencies, per
    month."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    labels = [m.month.strftime("%m/%y") for m in found.months] or ["-"]
    drawing = Drawing(480, 200)

    def chart(x: int, width: int, data: list[list[float]], title: str) -> VerticalBarChart:
        bars = VerticalBarChart()
        bars.x, bars.y, bars.width, bars.height = x, 40, width, 120
        bars.data = data
        bars.categoryAxis.categoryNames = labels
        bars.categoryAxis.labels.fontSize = 7
        bars.valueAxis.valueMin = 0
        bars.valueAxis.labels.fontSize = 7
        bars.barSpacing = 1
        drawing.add(bars)
        drawing.add(String(x, 175, title, fontName="Helvetica-Bold", fontSize=9))
        return bars

    quota = [float(m.quota) for m in found.months] or [0.0]
    used = [float(m.used) for m in found.months] or [0.0]
    hours_chart = chart(30, 250, [quota, used], w["chart_hours"])
    hours_chart.bars[0].fillColor = colors.HexColor("#b9c7d6")
    hours_chart.bars[1].fillColor = colors.HexColor("#1f5f99")
    legend = Legend()
    legend.x, legend.y, legend.fontSize = 30, 15, 7
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = [
        (colors.HexColor("#b9c7d6"), w["quota"]), (colors.HexColor("#1f5f99"), w["used"])
    ]  # fmt: skip
    drawing.add(legend)
    counts = [float(m.emergencies) for m in found.months] or [0.0]
    emergency_chart = chart(330, 140, [counts], w["chart_emergencies"])
    emergency_chart.bars[0].fillColor = colors.HexColor("#c0392b")
    emergency_chart.valueAxis.valueStep = 1
    return drawing
