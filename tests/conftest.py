"""Fixtures: storage tests run on SQLite and, when NKO_TEST_DATABASE_URL is set, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nko_openness import NkoOpenness
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
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
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


@pytest.fixture
def app(database_url, tmp_path, app_config):
    app = make_app(database_url, tmp_path, **app_config)
    state = app.extensions["nko_openness"]
    Base.metadata.create_all(state.db.engine)
    with app.app_context():
        from nko_openness.services.vocabulary import seed_categories

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
