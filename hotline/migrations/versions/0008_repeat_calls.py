"""repeat calls: a later call from the number of an open emergency, joined to its ticket

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC = hotline.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "repeat_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("joins", sa.String(length=16), nullable=False),
        sa.Column("arrived_at", UTC(timezone=True), nullable=False),
        sa.Column("earlier_call_sid", sa.String(length=64), nullable=True),
        sa.Column("first_attempt", sa.Integer(), nullable=True),
        sa.Column("recording_url", sa.String(length=500), nullable=True),
        sa.Column("recording_seconds", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_repeat_calls_ticket_id_tickets"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repeat_calls")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_repeat_calls_call_sid")),
    )
    op.create_index(op.f("ix_tickets_from_number"), "tickets", ["from_number"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tickets_from_number"), table_name="tickets")
    op.drop_table("repeat_calls")
