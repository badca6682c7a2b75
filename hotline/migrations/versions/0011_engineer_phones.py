"""engineer phones: further numbers after the mobile (a landline), rung in order by a level
with `phones: all`

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("engineers") as batch:
        batch.add_column(sa.Column("phones", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("engineers") as batch:
        batch.drop_column("phones")
