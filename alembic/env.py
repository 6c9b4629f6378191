"""Alembic environment: the database URL comes from the app's settings."""

from pyramid.paster import get_appsettings, setup_logging

from alembic import context
from wgmail.models import Base, get_engine
from wgmail.settings import load_settings

config = context.config
if config.config_file_name:
    setup_logging(config.config_file_name)

# A test or a tool may hand over its own engine's connection.
connection = config.attributes.get("connection")


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite alters tables by copying them; batch mode does that.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    settings = load_settings(get_appsettings(config.config_file_name))
    engine = get_engine(settings["sqlalchemy.url"])
    with engine.connect() as new_connection:
        run(new_connection)
    engine.dispose()
