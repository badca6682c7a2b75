"""calls: whether the caller pressed a key; the provider's blocked numbers

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


def downgrade() -> None:
    with op.batch_alter_table("provider") as batch:
        batch.drop_column("blocked_numbers")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("typed")
