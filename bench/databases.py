"""Benchmark databases: generated once per (backend, scale, seed, generator version), reused after.

SQLite files live in ``var/bench/`` (git-ignored); PostgreSQL data lives in its own database
(``nko_bench``), one schema per scale, never in the test suite's database.

A reused database is brought to the current schema with the module's migrations, as a site's
would be: a new migration does not force a national-scale rebuild (an hour of CPU), only a
change to what the generator writes does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nko_openness import migrate

from .host import make_host

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "bench"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "nko_bench"
# Anything that changes the generated rows invalidates a cached database; schema changes reach
# it through the migrations (see ``prepare``), and the indexed text is fingerprinted by what
# the text functions return for a sample, so adding a function to search_text.py keeps it.
FINGERPRINT_FILES = ("nko_openness/devdata/generator.py",
                     "nko_openness/devdata/generator_plan.py",
                     "nko_openness/devdata/generator_text.py",
                     "nko_openness/devdata/generator_writers.py")
TEXT_SAMPLE = ("<p>Оказываем <strong>бесплатную</strong> юридическую помощь ветеранам, "
               "многодетным семьям &amp; людям с инвалидностью.</p><ul><li>Ёлочные "
               "праздники</li><li>Social adaptation</li></ul>")


@dataclass
class Database:
    backend: str
    orgs: int
    url: str
    sqlite_path: Path | None = None
    build: dict = field(default_factory=dict)  # seconds for generate / search index, counts


def fingerprint() -> str:
    from nko_openness.search import text as search_text

    digest = hashlib.sha256()
    for name in FINGERPRINT_FILES:
        digest.update((ROOT / name).read_bytes())
    plain = search_text.html_to_text(TEXT_SAMPLE)
    digest.update(f"{plain}|{search_text.stemmed_text(plain)}".encode())
    return digest.hexdigest()[:16]


def postgres_answers() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "no PostgreSQL for this run"
        return False


def pg_database_url() -> str:
    return make_url(PG_ADMIN_URL).set(database=PG_DATABASE).render_as_string(False)


def _ensure_pg_database() -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": PG_DATABASE}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    engine.dispose()


def prepare(backend: str, orgs: int, seed: int, *, fresh: bool, say) -> Database:
    """A generated database at this scale, built now or reused from an earlier run."""
    VAR.mkdir(parents=True, exist_ok=True)
    name = f"nko_{orgs}_s{seed}"
    marker = VAR / f"{backend}-{name}.json"
    if backend == "sqlite":
        path = VAR / f"{name}.sqlite3"
        db = Database(backend, orgs, f"sqlite:///{path}", sqlite_path=path)
    else:
        _ensure_pg_database()
        url = make_url(pg_database_url()).update_query_dict({"options": f"-csearch_path={name}"})
        db = Database(backend, orgs, url.render_as_string(False))
    wanted = fingerprint()
    if not fresh and marker.exists():
        cached = json.loads(marker.read_text())
        if cached.get("fingerprint") == wanted and _has_data(db):
            say(f"{backend}, {orgs} organizations: database from an earlier run ({marker.name})")
            _upgrade(db)
            db.build = {**cached["build"], "reused": True}
            return db
    _reset(db, name)
    db.build = _build(db, orgs, seed, say)
    marker.write_text(json.dumps({"fingerprint": wanted, "build": db.build}, indent=1))
    return db


def _upgrade(db: Database) -> None:
    app = make_host(db.url)
    migrate.upgrade(app)
    app.extensions["nko_openness"].db.engine.dispose()


def _has_data(db: Database) -> bool:
    if db.sqlite_path is not None and not db.sqlite_path.exists():
        return False
    engine = create_engine(db.url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT count(*) FROM nko_organization")).scalar())
    except Exception:  # noqa: BLE001 - a missing schema or table means "build it"
        return False
    finally:
        engine.dispose()


def _reset(db: Database, schema: str) -> None:
    if db.sqlite_path is not None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(str(db.sqlite_path) + suffix).unlink(missing_ok=True)
        return
    engine = create_engine(pg_database_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def _build(db: Database, orgs: int, seed: int, say) -> dict:
    from nko_openness.devdata.generator import generate

    app = make_host(db.url)
    migrate.upgrade(app)
    say(f"{db.backend}: generating {orgs} organizations…")
    every = max(1, orgs // 10)
    stats = generate(app, orgs, seed, progress=lambda m: _quiet(m, every, say))
    build = {"generate_seconds": round(stats.seconds, 1), "organizations": stats.organizations,
             "services": stats.services, "projects": stats.projects,
             "revisions": stats.revisions, "changes": stats.changes,
             "search_index_seconds": round(stats.search_seconds, 1),
             "search_documents": stats.search_documents}
    say(f"  {stats.summary()}")
    if db.sqlite_path is not None:
        build["file_mb"] = round(db.sqlite_path.stat().st_size / 2**20)
    app.extensions["nko_openness"].db.engine.dispose()
    return build


def _quiet(message: str, every: int, say) -> None:
    # One progress line in ten: the generator reports every chunk of 1,000 organizations.
    digits = "".join(ch for ch in message.split(" из ")[0] if ch.isdigit())
    if "организации:" not in message or (digits and int(digits) % every < 1000):
        say(message)
