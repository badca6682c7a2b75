"""voice: stored answers, typed call state, ring claims that expire, the versioned frozen chain

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

import hotline.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("mimetype", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", hotline.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
        sa.UniqueConstraint("key", name=op.f("uq_answers_key")),
    )
    op.create_index(op.f("ix_answers_call_sid"), "answers", ["call_sid"])
    op.create_index(op.f("ix_answers_at"), "answers", ["at"])
    with op.batch_alter_table("engineers") as batch:
        batch.add_column(sa.Column("busy_until", hotline.models.UTCDateTime(timezone=True)))
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("timeout", sa.Integer()))
    with op.batch_alter_table("events") as batch:
        batch.alter_column("kind", type_=sa.String(length=64), existing_nullable=False)
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("question", sa.String(length=16)))
        batch.add_column(
            sa.Column("question_try", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("heard_at", hotline.models.UTCDateTime(timezone=True)))
        batch.alter_column("from_raw", type_=sa.String(length=256), existing_nullable=True)

    tickets = sa.table(
        "tickets",
        sa.column("id", sa.Integer),
        sa.column("chain", sa.JSON),
        sa.column("chain_skipped", sa.JSON),
    )
    connection = op.get_bind()
    for id_, chain, skipped in connection.execute(
        sa.select(tickets.c.id, tickets.c.chain, tickets.c.chain_skipped)
    ).all():
        if chain is None:
            continue
        entries = json.loads(chain) if isinstance(chain, str) else chain
        gone = (json.loads(skipped) if isinstance(skipped, str) else skipped) or []
        connection.execute(
            tickets.update()
            .where(tickets.c.id == id_)
            .values(chain={"version": 1, "entries": entries, "skipped": gone})
        )
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("chain_skipped")
        batch.alter_column("question_try", server_default=None)
    op.execute("UPDATE attempts SET outcome = 'cancelled' WHERE outcome = 'canceled'")


def downgrade() -> None:
    op.execute("UPDATE attempts SET outcome = 'canceled' WHERE outcome = 'cancelled'")
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("chain_skipped", sa.JSON()))
    tickets = sa.table(
        "tickets",
        sa.column("id", sa.Integer),
        sa.column("chain", sa.JSON),
        sa.column("chain_skipped", sa.JSON),
    )
    connection = op.get_bind()
    for id_, chain in connection.execute(sa.select(tickets.c.id, tickets.c.chain)).all():
        if chain is None:
            continue
        frozen = json.loads(chain) if isinstance(chain, str) else chain
        connection.execute(
            tickets.update()
            .where(tickets.c.id == id_)
            .values(chain=frozen.get("entries", []), chain_skipped=frozen.get("skipped", []))
        )
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("from_raw", type_=sa.String(length=64), existing_nullable=True)
        batch.drop_column("heard_at")
        batch.drop_column("question_try")
        batch.drop_column("question")
    with op.batch_alter_table("events") as batch:
        batch.alter_column("kind", type_=sa.String(length=32), existing_nullable=False)
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("timeout")
    with op.batch_alter_table("engineers") as batch:
        batch.drop_column("busy_until")
    op.drop_index(op.f("ix_answers_at"), table_name="answers")
    op.drop_index(op.f("ix_answers_call_sid"), table_name="answers")
    op.drop_table("answers")
