"""holiday regions: sub-regions for the provider, a team's own region

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00

`provider.holiday_region` grows from 8 to 32 characters for sub-regions such as `BY-Augsburg`;
`teams.holiday_region` is new (NULL: the provider's). Names the `holidays` package accepted
before that are not ours are written in ours: `Augsburg` is `BY-Augsburg`, the old `BYP`
(Bavaria without Mariä Himmelfahrt) is `BY`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

RENAMED = {"Augsburg": "BY-Augsburg", "BYP": "BY"}


def upgrade() -> None:
    with op.batch_alter_table("provider") as batch:
        batch.alter_column(
            "holiday_region",
            existing_type=sa.String(length=8),
            type_=sa.String(length=32),
            existing_nullable=False,
        )
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("holiday_region", sa.String(length=32), nullable=True))
    provider = sa.table("provider", sa.column("holiday_region", sa.String))
    for old, new in RENAMED.items():
        op.execute(
            provider.update().where(provider.c.holiday_region == old).values(holiday_region=new)
        )


def downgrade() -> None:
    provider = sa.table("provider", sa.column("holiday_region", sa.String))
    for old, new in RENAMED.items():
        op.execute(
            provider.update().where(provider.c.holiday_region == new).values(holiday_region=old)
        )
    op.execute(  # the other sub-regions do not fit 8 characters: their state
        provider.update()
        .where(sa.func.length(provider.c.holiday_region) > 8)
        .values(holiday_region=sa.func.substr(provider.c.holiday_region, 1, 2))
    )
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("holiday_region")
    with op.batch_alter_table("provider") as batch:
        batch.alter_column(
            "holiday_region",
            existing_type=sa.String(length=32),
            type_=sa.String(length=8),
            existing_nullable=False,
        )
