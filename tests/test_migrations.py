"""Alembic's migrations build the schema the models describe, on both databases."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from conftest import POSTGRES_URL, migrate, recreate_postgres_database
from wgmail.models import Base, get_engine


def differences(url: str) -> list:
    engine = get_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    recreate_postgres_database(POSTGRES_URL)
    return POSTGRES_URL


def test_migrations_build_the_schema_from_empty(empty_database):
    migrate(empty_database)

    engine = get_engine(empty_database)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"users", "messages", "message_events", "alembic_version"} <= tables


def test_models_and_migrations_agree(empty_database):
    migrate(empty_database)

    assert differences(empty_database) == []
