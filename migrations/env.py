"""Alembic environment for the module's own tables: own version table, host tables ignored."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, make_url

from nko_openness.migrate import context_options

config = context.config


def run_on(connection) -> None:
    context.configure(connection=connection, **context_options(connection.dialect.name))
    # Joins the caller's transaction when there is one (nko_openness.migrate opens it).
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    # Use without an app (plain Alembic API): the URL comes from the config.
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as connection:
            run_on(connection)
    finally:
        engine.dispose()


def run_offline() -> None:
    # `--sql` output: for a DBA who applies the DDL by hand.
    url = config.get_main_option("sqlalchemy.url") or "postgresql://"
    dialect = make_url(url).get_backend_name()
    context.configure(url=url, literal_binds=True, **context_options(dialect))
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
