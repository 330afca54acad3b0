"""The export feed: changes read from the outbox, the consistent snapshot, and API tokens.

Semantics (docs/feed.md): an ``upsert`` item carries the record's published state *when the
page is read*; if the record is no longer public then, the item is left out, because the
change that withdrew it has a later ``delete`` row. Deletes are tombstones. So a consumer
that applies pages in order ends with exactly the published set, whatever cursor it starts
from, and replaying a page twice changes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from nko_openness.export import hsds_rows
from nko_openness.export.hsds import HSDS_TYPES, MODELS, SERIALIZERS, ExportContext, iso
from nko_openness.models import ApiToken, Change, Organization, Project, Service
from nko_openness.models.base import utcnow

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# The largest cursor a BIGINT seq can hold; beyond it a cursor is malformed, not "future".
MAX_SEQ = 2**63 - 1
# How long a feed reader waits for publishers that are mid-commit (PostgreSQL).
LOCK_TIMEOUT_MS = 3000
SNAPSHOT_ORDER = (Organization, Service, Project)
# Records per query: big enough that the per-query cost vanishes, small enough to stay flat.
SNAPSHOT_CHUNK = 1000


class FeedBusy(RuntimeError):
    """A publishing transaction held the outbox longer than LOCK_TIMEOUT_MS; retry soon."""


@dataclass(frozen=True)
class Mark:
    """The outbox high-water mark: no Change row at or below ``seq`` can still appear."""

    seq: int
    at: datetime | None


def high_water_mark(engine: Engine) -> Mark:
    """The highest seq that is safe to hand out.

    On PostgreSQL a sequence value is taken at INSERT but becomes visible at COMMIT, so seq 11
    can be visible while seq 10 is still being committed: a reader that moved its cursor past
    11 would lose 10 for ever. Taking the table in SHARE mode waits for every writer that is
    mid-transaction (and briefly holds new ones back); after that, every seq up to the maximum
    is final. SQLite has one writer at a time, so its maximum is always final.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
            try:
                conn.exec_driver_sql(f"LOCK TABLE {Change.__tablename__} IN SHARE MODE")
            except OperationalError as exc:
                raise FeedBusy(str(exc)) from exc
        row = conn.execute(
            select(Change.seq, Change.created_at).order_by(Change.seq.desc()).limit(1)
        ).first()
        conn.rollback()  # releases the lock at once
    return Mark(row.seq, row.created_at) if row else Mark(0, None)


def current_mark(session: Session) -> Mark:
    """The latest change without waiting for writers: a version for caches of public data."""
    row = session.execute(
        select(Change.seq, Change.created_at).order_by(Change.seq.desc()).limit(1)
    ).first()
    return Mark(row.seq, row.created_at) if row else Mark(0, None)


@dataclass
class ChangesPage:
    items: list[dict[str, Any]]
    next: int
    has_more: bool
    latest: int


def changes_page(session: Session, ctx: ExportContext, after: int, limit: int,
                 mark: Mark) -> ChangesPage:
    """Up to ``limit`` outbox rows after ``after`` (and not beyond ``mark``), as feed items."""
    rows = session.execute(
        select(Change.seq, Change.entity_type, Change.entity_uuid, Change.op, Change.created_at)
        .where(Change.seq > after, Change.seq <= mark.seq)
        .order_by(Change.seq).limit(limit + 1)
    ).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    # An empty page keeps the cursor (a cursor from the future stays where it is).
    next_seq = rows[-1].seq if rows else max(after, mark.seq)
    # Within one page only an entity's last row matters: the items are states, not diffs.
    last = {(r.entity_type, r.entity_uuid): r.seq for r in rows}
    rows = [r for r in rows if last[(r.entity_type, r.entity_uuid)] == r.seq]
    records = _load_upserted(session, rows)
    items = []
    for row in rows:
        if row.entity_type not in MODELS:
            continue  # a kind of record this version does not export
        item = {"seq": row.seq, "op": row.op, "type": row.entity_type,
                "id": str(row.entity_uuid), "modified": iso(row.created_at), "data": None}
        if row.op == "upsert":
            record = records.get((row.entity_type, row.entity_uuid))
            if record is None:
                continue  # withdrawn since: its delete row comes later in the feed
            item["data"] = SERIALIZERS[MODELS[row.entity_type]](record, ctx)
        items.append(item)
    return ChangesPage(items, next_seq, has_more, mark.seq)


def _load_upserted(session: Session, rows) -> dict[tuple[str, Any], Any]:
    """The public records among the page's upserts, a query per kind (and relationship)."""
    records: dict[tuple[str, Any], Any] = {}
    for hsds_type, model in MODELS.items():
        ids = [r.entity_uuid for r in rows if r.op == "upsert" and r.entity_type == hsds_type]
        found = hsds_rows.BatchLoader(session, model).by_uuid(ids)
        records.update(((hsds_type, rec.uuid), rec) for rec in found)
    return records


# -- snapshot -------------------------------------------------------------------------------


@contextmanager
def consistent_session(engine: Engine) -> Iterator[Session]:
    """A read-only session that sees one moment of the database for its whole life.

    PostgreSQL: REPEATABLE READ. SQLite in WAL mode: one read transaction. SQLite in the
    default rollback-journal mode would block every publisher for as long as a slow client
    takes to download, so there each query reads the latest commit instead; the feed still
    converges (docs/feed.md), but WAL is recommended.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        elif conn.dialect.name == "sqlite":
            if conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal":
                # pysqlite begins transactions only before writes: ask for a read one.
                conn.exec_driver_sql("BEGIN")
        session = Session(bind=conn, autoflush=False)
        try:
            yield session
        finally:
            session.close()
            conn.rollback()


def snapshot_items(engine: Engine, ctx: ExportContext, as_of: int,
                   chunk: int = SNAPSHOT_CHUNK) -> Iterator[dict[str, Any]]:
    """Every public record as a feed item (``seq`` = ``as_of``), organizations first.

    ``as_of`` must come from :func:`high_water_mark` taken *before* this starts: the snapshot
    then reflects at least every change up to it, and any later change it happens to include
    is simply applied again when the consumer follows the feed from ``as_of``.
    """
    with consistent_session(engine) as session:
        for model in SNAPSHOT_ORDER:
            hsds_type, serialize = HSDS_TYPES[model], SERIALIZERS[model]
            for batch in hsds_rows.BatchLoader(session, model).batches(chunk):
                for record in batch:
                    yield {"seq": as_of, "op": "upsert", "type": hsds_type,
                           "id": str(record.uuid), "modified": iso(record.last_published_at),
                           "data": serialize(record, ctx)}


# -- API tokens -----------------------------------------------------------------------------

TOKEN_PREFIX = "nko_"


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str, created_by: str | None = None
                 ) -> tuple[ApiToken, str]:
    """A new token and its secret; the secret is returned once and stored only hashed."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=hash_token(secret), prefix=secret[:10],
                     created_by=created_by)
    session.add(token)
    session.flush()
    return token, secret


def find_token(session: Session, secret: str) -> ApiToken | None:
    """The active token with this secret, or None (unknown or revoked)."""
    if not secret or len(secret) > 200:
        return None
    return session.scalar(select(ApiToken).where(
        ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None)))


def revoke_token(session: Session, ident: str) -> ApiToken | None:
    """Revoke by id or by the prefix shown in ``token list``; None when nothing matches."""
    stmt = select(ApiToken).where(ApiToken.revoked_at.is_(None))
    if ident.isdigit():
        stmt = stmt.where(ApiToken.id == int(ident))
    else:
        stmt = stmt.where(ApiToken.prefix == ident.rstrip("…."))
    matches = list(session.scalars(stmt))
    if len(matches) != 1:
        return None
    matches[0].revoked_at = utcnow()
    return matches[0]


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))
