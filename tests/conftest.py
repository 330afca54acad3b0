"""Fixtures: storage tests run on SQLite and, when NKO_TEST_DATABASE_URL is set, PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import make_url

from nko_openness import NkoOpenness, migrate
from nko_openness.models import Base

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PG_URL = os.environ.get("NKO_TEST_DATABASE_URL")


def shared_path(*parts: str) -> Path:
    """A file from ../shared/, or a skip that says what is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared test data not found at {path} (needs the ../shared/ folder)")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    if request.param == "postgresql" and not PG_URL:
        pytest.skip("PostgreSQL not configured: set NKO_TEST_DATABASE_URL (make test does)")
    return request.param


@pytest.fixture
def database_url(backend, tmp_path):
    """A fresh, empty database: an SQLite file, or a PostgreSQL schema of its own."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    schema = f"nko_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_app(database_url: str, tmp_path: Path, **config) -> Flask:
    app = Flask("nko_test_host", instance_path=str(tmp_path / "instance"))
    app.config.update(
        TESTING=True,
        SECRET_KEY="test",
        WTF_CSRF_ENABLED=False,
        NKO_DATABASE_URL=database_url,
        NKO_UPLOAD_FOLDER=str(tmp_path / "uploads"),
        **config,
    )
    NkoOpenness(app)
    return app


@pytest.fixture
def app_config():
    """Override in a test module to change the app's configuration."""
    return {}


def _pg_url(schema: str) -> str:
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _prepared_databases(tmp_path_factory):
    """Per test worker: one SQLite file and one PostgreSQL schema with the module's tables.

    Creating every table for every test dominated the suite's time; a test instead gets a
    copy of the SQLite file, or the worker's PostgreSQL schema emptied with TRUNCATE.
    """
    prepared: dict[str, object] = {}
    yield prepared
    if "postgresql" in prepared:
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{prepared["postgresql"]}" CASCADE'))
        admin.dispose()


def _sqlite_copy(prepared, tmp_path_factory, tmp_path) -> str:
    template = prepared.get("sqlite")
    if template is None:
        template = tmp_path_factory.mktemp("template") / "template.sqlite3"
        engine = create_engine(f"sqlite:///{template}")
        Base.metadata.create_all(engine)
        engine.dispose()
        prepared["sqlite"] = template
    target = tmp_path / "test.sqlite3"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def _pg_emptied(prepared) -> str:
    schema = prepared.get("postgresql")
    expected = set(Base.metadata.tables)
    engine = create_engine(_pg_url(schema)) if schema else None
    # A test may have dropped or altered tables: then the worker starts a fresh schema.
    if engine is None or not expected <= set(inspect(engine).get_table_names()):
        if engine is not None:
            engine.dispose()
        schema = prepared["postgresql"] = f"nko_worker_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        engine = create_engine(_pg_url(schema))
        Base.metadata.create_all(engine)
    else:
        names = ", ".join(f'"{n}"' for n in inspect(engine).get_table_names())
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return _pg_url(schema)


@pytest.fixture
def app_database_url(backend, tmp_path, tmp_path_factory, _prepared_databases):
    """A database with the module's tables and no rows (cheaper than ``database_url``)."""
    if backend == "sqlite":
        return _sqlite_copy(_prepared_databases, tmp_path_factory, tmp_path)
    return _pg_emptied(_prepared_databases)


@pytest.fixture
def app(app_database_url, tmp_path, app_config):
    app = make_app(app_database_url, tmp_path, **app_config)
    state = app.extensions["nko_openness"]
    with app.app_context():
        from nko_openness.publishing.vocabulary import seed_categories

        seed_categories(state.db.session, app)
        state.db.session.commit()
    yield app
    state.db.engine.dispose()


@pytest.fixture
def session(app):
    with app.app_context():
        yield app.extensions["nko_openness"].db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def migrated_app(database_url, tmp_path):
    """An app on a fresh database built by the migrations (not ``create_all``)."""
    app = make_app(database_url, tmp_path)
    migrate.upgrade(app, "head")
    yield app
    app.extensions["nko_openness"].db.engine.dispose()


def statements(app, client, url: str, *, warm: bool = True) -> int:
    """SQL statements one GET of ``url`` sends; with ``warm``, after a first request has
    filled any caches (otherwise the cache state is the caller's)."""
    engine = app.extensions["nko_openness"].db.engine
    if warm:
        assert client.get(url).status_code == 200, url
    sent = []

    def count(*_args):
        sent.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
        response.get_data()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, url
    return len(sent)
