"""calls: whether the caller pressed a key; the provider's blocked numbers; what the engineer
needs to know of a customer (documentation link, emergency notes)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("typed", sa.Boolean(), nullable=False, server_default="0"))
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("typed", server_default=None)
    with op.batch_alter_table("provider") as batch:
        batch.add_column(sa.Column("blocked_numbers", sa.JSON(), nullable=True))
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("documentation_url", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("emergency_notes", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("emergency_notes")
        batch.drop_column("documentation_url")
    with op.batch_alter_table("provider") as batch:
        batch.drop_column("blocked_numbers")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("typed")
