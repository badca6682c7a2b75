"""hours: time entries beyond emergencies (regular support, project work), billed lines of
either kind, a contract's quota history

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "time_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("engineer_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("billable", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", hotline.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_time_entries_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["engineer_id"], ["engineers.id"], name=op.f("fk_time_entries_engineer_id_engineers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_entries")),
        sa.UniqueConstraint(
            "reference", "day", "engineer_id", name=op.f("uq_time_entries_reference")
        ),
    )
    op.create_index(op.f("ix_time_entries_customer_id"), "time_entries", ["customer_id"])
    op.create_index(op.f("ix_time_entries_day"), "time_entries", ["day"])
    with op.batch_alter_table("billing_lines") as batch:
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("time_entry_id", sa.Integer(), nullable=True))
        batch.create_unique_constraint(batch.f("uq_billing_lines_time_entry_id"), ["time_entry_id"])
        batch.create_foreign_key(
            batch.f("fk_billing_lines_time_entry_id_time_entries"),
            "time_entries",
            ["time_entry_id"],
            ["id"],
        )
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("quota_history", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("quota_history")
    op.execute("DELETE FROM billing_lines WHERE ticket_id IS NULL")
    with op.batch_alter_table("billing_lines") as batch:
        batch.drop_constraint(
            batch.f("fk_billing_lines_time_entry_id_time_entries"), type_="foreignkey"
        )
        batch.drop_constraint(batch.f("uq_billing_lines_time_entry_id"), type_="unique")
        batch.drop_column("time_entry_id")
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index(op.f("ix_time_entries_day"), table_name="time_entries")
    op.drop_index(op.f("ix_time_entries_customer_id"), table_name="time_entries")
    op.drop_table("time_entries")
