"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from hotline import db, migrate
from hotline.models import Base


def test_migrations_match_models(app: Flask) -> None:
    """Downgrade to nothing and upgrade to head in the test database, then compare."""
    with app.app_context():
        url = app.config["DATABASE_URL"]
        engine = db.engine()
        Base.metadata.drop_all(engine)
        engine.dispose()
        try:
            migrate.upgrade(url)
            with engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == []
        finally:
            migrate.downgrade(url, "base")
            Base.metadata.create_all(engine)
            engine.dispose()
