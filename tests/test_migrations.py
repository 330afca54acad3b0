"""The module's Alembic scripts build exactly the models' schema and leave host tables alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import uuid
import zipfile
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import make_app
from sqlalchemy import inspect, text

from nko_openness import migrate
from nko_openness.models import Base, Change
from nko_openness.models.search import is_backend_search_object

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def empty_app(database_url, tmp_path):
    """An app on an empty database: no tables until a migration makes them."""
    app = make_app(database_url, tmp_path)
    yield app
    app.extensions["nko_openness"].db.engine.dispose()


def engine_of(app):
    return app.extensions["nko_openness"].db.engine


def head_revision() -> str:
    return ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


def schema_diff(app) -> list:
    with engine_of(app).connect() as connection:
        context = MigrationContext.configure(
            connection, opts=migrate.context_options(connection.dialect.name)
        )
        return compare_metadata(context, Base.metadata)


def module_tables(app) -> set[str]:
    names = set(inspect(engine_of(app)).get_table_names())
    return {name for name in names if name.startswith("nko_")} - {migrate.VERSION_TABLE}


def test_upgrade_gives_the_models_schema(empty_app):
    migrate.upgrade(empty_app, "head")

    assert schema_diff(empty_app) == []
    # Besides the models' tables only the full-text index's own (SQLite FTS5) may exist.
    assert {name for name in module_tables(empty_app)
            if not is_backend_search_object("table", name)} == set(Base.metadata.tables)
    assert migrate.current_revision(empty_app) == head_revision()
    assert inspect(engine_of(empty_app)).has_table(migrate.VERSION_TABLE)


def test_postgresql_gets_its_own_types(empty_app):
    if engine_of(empty_app).dialect.name != "postgresql":
        pytest.skip("PostgreSQL types only")
    migrate.upgrade(empty_app, "head")
    inspector = inspect(engine_of(empty_app))

    def column_type(table, column):
        (found,) = [c for c in inspector.get_columns(table) if c["name"] == column]
        return found["type"].compile(dialect=engine_of(empty_app).dialect)

    assert column_type("nko_revision", "data") == "JSONB"
    assert column_type("nko_change", "seq") == "BIGINT"
    assert column_type("nko_revision", "entity_uuid") == "UUID"
    assert column_type("nko_change", "created_at") == "TIMESTAMP WITH TIME ZONE"


def test_the_comparison_sees_drift(empty_app):
    # Guards the test above: a filter that hid every table would also report "no diff".
    migrate.upgrade(empty_app, "head")
    with engine_of(empty_app).begin() as connection:
        connection.execute(text("DROP INDEX ix_nko_change_entity"))
        connection.execute(text("ALTER TABLE nko_change ADD COLUMN stray INTEGER"))

    kinds = {diff[0] if isinstance(diff, tuple) else diff[0][0] for diff in schema_diff(empty_app)}
    assert {"add_index", "remove_column"} <= kinds


def test_upgrade_twice_changes_nothing(empty_app):
    migrate.upgrade(empty_app, "head")
    migrate.upgrade(empty_app, "head")

    assert migrate.current_revision(empty_app) == head_revision()


def test_migrated_schema_takes_records(empty_app):
    # The outbox's seq must autoincrement on both backends (INTEGER on SQLite, BIGINT elsewhere).
    migrate.upgrade(empty_app, "head")
    with empty_app.app_context():
        session = empty_app.extensions["nko_openness"].db.session
        for _ in range(2):
            session.add(Change(entity_type="organization", entity_uuid=uuid.uuid4(), op="upsert"))
        session.commit()
        assert [c.seq for c in session.query(Change).order_by(Change.seq)] == [1, 2]


def test_downgrade_to_base_removes_every_module_table(empty_app):
    migrate.upgrade(empty_app, "head")
    migrate.downgrade(empty_app, "base")

    assert module_tables(empty_app) == set()
    assert migrate.current_revision(empty_app) is None
    if inspect(engine_of(empty_app)).has_table(migrate.VERSION_TABLE):
        with engine_of(empty_app).connect() as connection:
            rows = connection.execute(text(f"SELECT * FROM {migrate.VERSION_TABLE}")).all()
        assert rows == []


def test_host_tables_and_host_alembic_history_are_left_alone(empty_app):
    engine = engine_of(empty_app)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('host_rev_42')"))
        connection.execute(text("CREATE TABLE host_page (id INTEGER PRIMARY KEY, title TEXT)"))
        connection.execute(text("INSERT INTO host_page VALUES (1, 'Главная')"))

    def host_state():
        with engine.connect() as connection:
            return (
                connection.execute(text("SELECT version_num FROM alembic_version")).all(),
                connection.execute(text("SELECT id, title FROM host_page")).all(),
            )

    before = host_state()
    migrate.upgrade(empty_app, "head")
    assert host_state() == before
    # Host tables are not the module's business: no "remove table" for them.
    assert schema_diff(empty_app) == []

    migrate.downgrade(empty_app, "base")
    assert host_state() == before
    assert {"alembic_version", "host_page"} <= set(inspect(engine).get_table_names())


def test_cli_upgrade_current_downgrade(empty_app):
    runner = empty_app.test_cli_runner()

    result = runner.invoke(args=["nko", "db", "current"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "base"

    result = runner.invoke(args=["nko", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "upgraded to head" in result.output

    result = runner.invoke(args=["nko", "db", "current"])
    assert result.output.strip() == head_revision()

    result = runner.invoke(args=["nko", "db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert module_tables(empty_app) == set()

    result = runner.invoke(args=["nko", "db", "current"])
    assert result.output.strip() == "base"


# -- the installed wheel ------------------------------------------------------------------

WHEEL_SOURCES = (
    "setup.cfg", "pyproject.toml", "README.md", "nko_openness", "migrations", "plugins"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the tree, so the checkout gets no build/ folder."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in WHEEL_SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        elif path.exists():
            shutil.copy2(path, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"),
         str(source)],
        check=True, capture_output=True, text=True,
    )
    (built,) = (work / "dist").glob("nko_openness-*.whl")
    return built


def test_wheel_ships_the_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())

    for name in (
        "nko_openness/migrations/__init__.py",
        "nko_openness/migrations/env.py",
        "nko_openness/migrations/script.py.mako",
        "nko_openness/migrations/versions/__init__.py",
        "nko_openness/migrations/versions/0001_initial.py",
    ):
        assert name in names


HOST_APP = textwrap.dedent(
    """
    from flask import Flask

    from nko_openness import NkoOpenness

    app = Flask("wheel_host", instance_path={instance!r})
    app.config["NKO_DATABASE_URL"] = {url!r}
    NkoOpenness(app)
    """
)


def test_flask_nko_db_works_from_the_installed_wheel(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
         str(wheel)],
        check=True, capture_output=True, text=True,
    )
    host = tmp_path / "host"
    host.mkdir()
    database = tmp_path / "wheel.sqlite3"
    (host / "wheel_host.py").write_text(
        HOST_APP.format(instance=str(tmp_path / "instance"), url=f"sqlite:///{database}")
    )
    # The installed copy comes first on the path; the working tree is nowhere on it.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(host)])}

    def flask(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wheel_host", *args],
            cwd=host, env=env, capture_output=True, text=True,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    where = subprocess.run(
        [sys.executable, "-c",
         "from nko_openness.migrate import script_location; print(script_location())"],
        cwd=host, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(site)

    assert "upgraded to head" in flask("nko", "db", "upgrade")
    assert flask("nko", "db", "current") == head_revision()
    flask("nko", "db", "downgrade", "base")
    assert flask("nko", "db", "current") == "base"
