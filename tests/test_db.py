"""The module's own engine: SQLite connection settings for files, none for :memory:."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import make_app

from nko_openness.core.db import SQLITE_CACHE_KB


def _sqlite_default_cache_size() -> int:
    with sqlite3.connect(":memory:") as conn:
        return conn.execute("PRAGMA cache_size").fetchone()[0]


def _cache_size(app) -> int:
    with app.extensions["nko_openness"].db.engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA cache_size").scalar()


@pytest.mark.parametrize(("config", "expected"), [
    ({}, -SQLITE_CACHE_KB),
    ({"NKO_SQLITE_CACHE_KB": 4096}, -4096),
    ({"NKO_SQLITE_CACHE_KB": 0}, None),
])
def test_a_file_database_gets_the_configured_page_cache(tmp_path, config, expected):
    app = make_app(f"sqlite:///{tmp_path / 'site.sqlite3'}", tmp_path, **config)
    try:
        wanted = _sqlite_default_cache_size() if expected is None else expected
        assert _cache_size(app) == wanted
    finally:
        app.extensions["nko_openness"].db.engine.dispose()


def test_the_default_is_more_than_sqlites_own():
    assert -SQLITE_CACHE_KB < _sqlite_default_cache_size()


def test_an_in_memory_database_keeps_sqlites_defaults(tmp_path):
    app = make_app("sqlite://", tmp_path, NKO_SQLITE_CACHE_KB=4096)
    try:
        assert _cache_size(app) == _sqlite_default_cache_size()
    finally:
        app.extensions["nko_openness"].db.engine.dispose()
