"""jourfixe: a customer's JourFixe rhythm, GL-JourFixe dates, the project lead and recipients of
its status e-mail; e-mails sent for a person (sender name, reply-to) to several addresses

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.models

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jourfixes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=5), nullable=False),
        sa.Column("every_weeks", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_jourfixes_customer_id_customers"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jourfixes")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_jourfixes_customer_id")),
    )
    op.create_table(
        "gl_jourfixes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("at", hotline.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_gl_jourfixes_customer_id_customers"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gl_jourfixes")),
        sa.UniqueConstraint("customer_id", "at", name=op.f("uq_gl_jourfixes_customer_id")),
    )
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("project_lead_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("status_recipients", sa.JSON(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_customers_project_lead_id_engineers"), "engineers",
            ["project_lead_id"], ["id"], ondelete="SET NULL",
        )  # fmt: skip
    with op.batch_alter_table("messages") as batch:
        batch.alter_column(
            "to", existing_type=sa.String(length=200), type_=sa.String(length=1000),
            existing_nullable=False,
        )  # fmt: skip
        batch.add_column(sa.Column("sender_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("reply_to", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("reply_to")
        batch.drop_column("sender_name")
        batch.alter_column(
            "to", existing_type=sa.String(length=1000), type_=sa.String(length=200),
            existing_nullable=False,
        )  # fmt: skip
    with op.batch_alter_table("customers") as batch:
        batch.drop_constraint(batch.f("fk_customers_project_lead_id_engineers"), type_="foreignkey")
        batch.drop_column("status_recipients")
        batch.drop_column("project_lead_id")
    op.drop_table("gl_jourfixes")
    op.drop_table("jourfixes")
