"""Alembic environment: the URL comes from the caller (hotline.migrate), never from a file."""

from __future__ import annotations

from alembic import context

from hotline.db import make_engine
from hotline.models import Base

config = context.config
url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")


def include_name(name: str | None, type_: str, _parents: dict[str, str | None]) -> bool:
    """APScheduler keeps its own job table in our database; it is not ours to migrate."""
    return not (type_ == "table" and name == "apscheduler_jobs")


def run() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
