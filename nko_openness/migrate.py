"""Run the module's Alembic migrations against the app's engine, apart from any host history."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import TypeDecorator
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from nko_openness.core.state import get_state

# Never "alembic_version": a host with its own Alembic history keeps it to itself.
VERSION_TABLE = "nko_openness_alembic_version"
TABLE_PREFIX = "nko_"


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Reflect only the module's tables, so the host's never show up as "removed"."""
    from nko_openness.models.search import is_backend_search_object

    # The full-text objects are backend DDL outside the models (models/search.py).
    if is_backend_search_object(type_, name):
        return False
    if type_ == "table":
        return bool(name) and name.startswith(TABLE_PREFIX)
    return True


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    # include_name covers reflected tables; this covers tables another metadata might add.
    if type_ == "table":
        return bool(name) and name.startswith(TABLE_PREFIX)
    return True


def render_item(type_: str, obj: Any, autogen_context) -> str | bool:
    """Write the models' custom types as plain SQLAlchemy ones, so scripts import no models."""
    if type_ != "type":
        return False
    if isinstance(obj, TypeDecorator) and type(obj.impl).__module__.startswith("sqlalchemy."):
        return f"sa.{obj.impl!r}"
    if isinstance(obj, postgresql.JSONB):
        # Alembic would write `astext_type=Text()` without the `sa.` prefix when the
        # script is generated against SQLite.
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "postgresql.JSONB()"
    return False


def context_options(dialect_name: str) -> dict[str, Any]:
    """Options for MigrationContext/EnvironmentContext, shared by env.py and the tests."""
    from nko_openness.models import Base

    return {
        "target_metadata": Base.metadata,
        "version_table": VERSION_TABLE,
        "include_name": include_name,
        "include_object": include_object,
        "render_item": render_item,
        "compare_type": True,
        # SQLite cannot ALTER most things: later scripts copy and move the table instead.
        "render_as_batch": dialect_name == "sqlite",
    }


def script_location() -> Path:
    """The installed migrations folder (a checkout's or a wheel's, never a guessed path)."""
    location = files("nko_openness.migrations")
    if not isinstance(location, Path):
        raise RuntimeError(
            f"nko_openness.migrations is not on the file system ({location!r}): "
            "install the package unpacked (pip does) to run migrations."
        )
    return location


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config built in code: no alembic.ini is read or needed."""
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def _config_in_transaction(app: Flask) -> Iterator[Config]:
    # One transaction for the whole run: on PostgreSQL a failed step leaves nothing behind.
    with get_state(app).db.engine.begin() as connection:
        yield alembic_config(connection)


def upgrade(app: Flask, revision: str = "head") -> None:
    with _config_in_transaction(app) as config:
        command.upgrade(config, revision)


def downgrade(app: Flask, revision: str = "-1") -> None:
    with _config_in_transaction(app) as config:
        command.downgrade(config, revision)


def current_revision(app: Flask) -> str | None:
    """The applied revision of the module's tables, or None before the first upgrade."""
    with get_state(app).db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def make_revision(app: Flask, message: str, revision_id: str | None = None) -> None:
    """For maintainers, in a checkout: autogenerate a script from the models' changes."""
    with _config_in_transaction(app) as config:
        command.revision(config, message=message, autogenerate=True, rev_id=revision_id)
