"""re-page and call-back: a leg's re-page round and chain entry, its call-back talk time, and
the ticket's call-back seconds (billed as phone time)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("legs") as batch:
        batch.add_column(sa.Column("repage_round", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("chain_entry", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("talk_seconds", sa.Integer(), nullable=True))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("callback_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("callback_seconds")
    with op.batch_alter_table("legs") as batch:
        batch.drop_column("talk_seconds")
        batch.drop_column("chain_entry")
        batch.drop_column("repage_round")
