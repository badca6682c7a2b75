"""legs: the calls the hotline places itself (conference bridge, warm escalation, re-page)

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC = hotline.models.UTCDateTime


def upgrade() -> None:
    op.add_column("tickets", sa.Column("bridge", sa.String(length=16), nullable=True))
    op.create_table(
        "legs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("engineer_id", sa.Integer(), nullable=True),
        sa.Column("to_number", sa.String(length=32), nullable=False),
        sa.Column("from_number", sa.String(length=32), nullable=True),
        sa.Column("endpoint", sa.String(length=32), nullable=False),
        sa.Column("timeout", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("stop", sa.Boolean(), nullable=False),
        sa.Column("stopped", sa.Boolean(), nullable=False),
        sa.Column("pressed", sa.String(length=8), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("sent_at", UTC(timezone=True), nullable=True),
        sa.Column("answered_at", UTC(timezone=True), nullable=True),
        sa.Column("joined_at", UTC(timezone=True), nullable=True),
        sa.Column("left_at", UTC(timezone=True), nullable=True),
        sa.Column("ended_at", UTC(timezone=True), nullable=True),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"],
                                name=op.f("fk_legs_ticket_id_tickets"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempts.id"],
                                name=op.f("fk_legs_attempt_id_attempts"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["engineer_id"], ["engineers.id"],
                                name=op.f("fk_legs_engineer_id_engineers"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legs")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_legs_call_sid")),
    )  # fmt: skip
    op.create_index(op.f("ix_legs_status"), "legs", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_legs_status"), table_name="legs")
    op.drop_table("legs")
    op.drop_column("tickets", "bridge")
