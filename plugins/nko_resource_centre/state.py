"""The delivery cursor: the plugin's own table, its lease, and acks written with the cursor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

# Not in the module's Base.metadata: the module's migrations and their parity check cover
# only tables named nko_*; this one is created by ensure_tables() on the first delivery.
metadata = MetaData()

delivery_state = Table(
    "nkorc_delivery_state",
    metadata,
    Column("receiver", String(100), primary_key=True),
    # Every Change row up to acked_seq has been acknowledged (or superseded, see delivery.py).
    Column("acked_seq", BigInteger, nullable=False, default=0),
    Column("acked_at", DateTime),
    Column("delivered", BigInteger, nullable=False, default=0),
    Column("failures", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("last_attempt_at", DateTime),
    # Who may deliver now: two runners at once (cron overlapping --loop) would send twice.
    Column("lease_owner", String(64)),
    Column("lease_until", DateTime),
)


def utcnow() -> datetime:
    # Naive UTC: the same on SQLite and PostgreSQL (timestamp without time zone).
    return datetime.now(UTC).replace(tzinfo=None)


def ensure_tables(engine: Engine) -> None:
    """Create the plugin's table if it is missing (idempotent, cheap)."""
    try:
        metadata.create_all(engine, checkfirst=True)
    except DBAPIError:
        # Two first runs (cron and an immediate push) may race to create it: one wins.
        if not inspect(engine).has_table(delivery_state.name):
            raise


@dataclass(frozen=True)
class Cursor:
    acked_seq: int
    acked_at: datetime | None
    delivered: int
    failures: int
    last_error: str | None
    last_attempt_at: datetime | None
    lease_owner: str | None
    lease_until: datetime | None


def read(engine: Engine, receiver: str) -> Cursor:
    with engine.connect() as conn:
        row = conn.execute(
            select(delivery_state).where(delivery_state.c.receiver == receiver)
        ).first()
    if row is None:
        return Cursor(0, None, 0, 0, None, None, None, None)
    return Cursor(row.acked_seq, row.acked_at, row.delivered, row.failures, row.last_error,
                  row.last_attempt_at, row.lease_owner, row.lease_until)


def _ensure_row(conn, receiver: str) -> None:
    exists = conn.execute(
        select(delivery_state.c.receiver).where(delivery_state.c.receiver == receiver)
    ).first()
    if exists is None:
        conn.execute(insert(delivery_state).values(receiver=receiver, acked_seq=0,
                                                   delivered=0, failures=0))


def acquire_lease(engine: Engine, receiver: str, owner: str, seconds: float) -> bool:
    """Take the lease if it is free or expired; False when another runner holds it."""
    now = utcnow()
    try:
        with engine.begin() as conn:
            _ensure_row(conn, receiver)
    except IntegrityError:
        pass  # two first runs raced to insert the row: the other one did
    with engine.begin() as conn:
        taken = conn.execute(
            update(delivery_state)
            .where(delivery_state.c.receiver == receiver,
                   or_(delivery_state.c.lease_owner.is_(None),
                       delivery_state.c.lease_owner == owner,
                       delivery_state.c.lease_until < now))
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=seconds))
        ).rowcount
    return taken == 1


def renew_lease(engine: Engine, receiver: str, owner: str, seconds: float) -> bool:
    with engine.begin() as conn:
        return conn.execute(
            update(delivery_state)
            .where(delivery_state.c.receiver == receiver, delivery_state.c.lease_owner == owner)
            .values(lease_until=utcnow() + timedelta(seconds=seconds))
        ).rowcount == 1


def release_lease(engine: Engine, receiver: str, owner: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(delivery_state)
            .where(delivery_state.c.receiver == receiver, delivery_state.c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )


def record_ack(engine: Engine, receiver: str, owner: str, seq: int, delivered: int) -> bool:
    """Move the cursor to ``seq`` in one committed statement; False if the lease was lost.

    The ack and the cursor are one row, so they are durable together: a crash right after
    the receiver's answer loses at most this ack, and the item is simply sent again.
    """
    now = utcnow()
    with engine.begin() as conn:
        return conn.execute(
            update(delivery_state)
            .where(delivery_state.c.receiver == receiver, delivery_state.c.lease_owner == owner)
            .values(acked_seq=seq, acked_at=now if delivered else delivery_state.c.acked_at,
                    delivered=delivery_state.c.delivered + delivered,
                    failures=0, last_error=None, last_attempt_at=now)
        ).rowcount == 1


def record_failure(engine: Engine, receiver: str, error: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(delivery_state).where(delivery_state.c.receiver == receiver)
            .values(failures=delivery_state.c.failures + 1, last_error=error[:2000],
                    last_attempt_at=utcnow())
        )


def reset(engine: Engine, receiver: str, seq: int) -> None:
    """Set the cursor by hand (a new receiver that wants everything again: seq 0)."""
    ensure_tables(engine)
    with engine.begin() as conn:
        _ensure_row(conn, receiver)
        conn.execute(update(delivery_state).where(delivery_state.c.receiver == receiver)
                     .values(acked_seq=seq, failures=0, last_error=None))
