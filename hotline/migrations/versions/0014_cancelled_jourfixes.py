"""cancelled_jourfixes: days of a customer's JourFixe rhythm that do not take place

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.models

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UTC = hotline.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "cancelled_jourfixes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("cancelled_jourfixes")
