"""One engine and session per app: the host's Flask-SQLAlchemy ones when it has them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask.globals import app_ctx
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, scoped_session, sessionmaker


@dataclass
class Database:
    engine_getter: Any
    session_getter: Any
    owns_session: bool

    @property
    def engine(self) -> Engine:
        return self.engine_getter()

    @property
    def session(self) -> Session:
        return self.session_getter()


# SQLite's own default page cache is 2 MB per connection. A changes page looks up ~500
# records by uuid scattered over a file of GBs at national scale: the interior pages of
# those B-trees (about 250 at 22,000 organizations, ten times that at 220,000) then no
# longer stay cached beside a page's leaves, and each lookup reads them again.
# The memory is per open connection, taken only as pages are read; 0 keeps SQLite's default.
SQLITE_CACHE_KB = 16 * 1024


def _configure_sqlite(engine: Engine, cache_kb: int = 0) -> None:
    """Foreign keys on (SQLite ignores ON DELETE CASCADE otherwise); WAL for files, so a
    streaming snapshot never blocks a moderator's publication; for files, a page cache of
    ``cache_kb`` KiB (NKO_SQLITE_CACHE_KB). Not mmap_size: mapped pages count in the
    process's RSS, and the snapshot reads the whole file."""
    if engine.dialect.name != "sqlite":
        return
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            if cache_kb > 0:
                # A negative cache_size is KiB, a positive one pages.
                cursor.execute(f"PRAGMA cache_size=-{int(cache_kb)}")
        cursor.close()


def setup_database(app: Flask, database_url: str | None) -> Database:
    """Share the host's Flask-SQLAlchemy session, or make a scoped one bound to NKO_DATABASE_URL."""
    fsa = app.extensions.get("sqlalchemy")
    if fsa is not None and database_url is None:
        return Database(
            engine_getter=lambda: fsa.engine,
            session_getter=lambda: fsa.session(),
            owns_session=False,
        )
    url = database_url or "sqlite:///" + app.instance_path + "/nko_openness.sqlite3"
    engine = create_engine(url, **_engine_options(url))
    # Only the module's own engine: a host's shared one is configured by the host.
    _configure_sqlite(engine, app.config.get("NKO_SQLITE_CACHE_KB", SQLITE_CACHE_KB))
    factory = scoped_session(
        sessionmaker(bind=engine),
        # One session per app context, as Flask-SQLAlchemy does.
        scopefunc=lambda: id(app_ctx._get_current_object()),
    )

    @app.teardown_appcontext
    def _remove_session(_exc):
        factory.remove()

    return Database(engine_getter=lambda: engine, session_getter=factory, owns_session=True)


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {}
    return {"pool_pre_ping": True}


def db_session() -> Session:
    """The session of the current app's nko_openness state."""
    return current_app.extensions["nko_openness"].db.session
