"""watch: heartbeats of the worker and the web process, alarm states, per-minute tallies

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC = hotline.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("beat_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeats")),
    )
    op.create_table(
        "alarms",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("raised", sa.Boolean(), nullable=False),
        sa.Column("since", UTC(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_alarms")),
    )
    op.create_table(
        "tallies",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("minute", UTC(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", "minute", name=op.f("pk_tallies")),
    )


def downgrade() -> None:
    op.drop_table("tallies")
    op.drop_table("alarms")
    op.drop_table("heartbeats")
