"""The replica's own tables (``harvest_*``), created by the harvester, apart from the module's."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()
# JSONB on PostgreSQL so the Resource Centre can query inside the objects.
JSONData = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


source = Table(
    "harvest_source", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("title", String(300)),
    Column("url", String(2000), nullable=False),
    # The last applied seq; NULL until a snapshot has been applied (or after a reset).
    Column("cursor", BigInteger),
    # ETag of the last changes page that reached the end: a 304 then means "nothing new".
    Column("etag", String(300)),
    Column("latest_seq", BigInteger),
    Column("bootstrapped_at", DateTime(timezone=True)),
    Column("last_run_at", DateTime(timezone=True)),
    Column("last_success_at", DateTime(timezone=True)),
    Column("status", String(20), nullable=False, default="new"),
    Column("message", Text),
    Column("applied_total", BigInteger, nullable=False, default=0),
)

record = Table(
    "harvest_record", metadata,
    Column("source_id", Integer, ForeignKey("harvest_source.id", ondelete="CASCADE"),
           primary_key=True),
    Column("entity_type", String(20), primary_key=True),  # organization, service, program
    Column("entity_id", String(36), primary_key=True),
    Column("seq", BigInteger, nullable=False),  # the feed seq that brought this state
    Column("modified", String(40)),
    Column("organization_id", String(36)),  # services and programs: their organization
    Column("name", Text),
    Column("uri", String(2000)),  # the record's public page on the source site
    Column("ogrn", String(15)),  # organizations: check-digit-valid numbers only
    Column("inn", String(12)),
    Column("regional_key", String(80)),  # organizations: harvest_regional_organization.key
    Column("data", JSONData, nullable=False),  # the HSDS object as the feed gave it
    Column("harvested_at", DateTime(timezone=True), nullable=False),
    Index("ix_harvest_record_ogrn", "ogrn"),
    Index("ix_harvest_record_inn", "inn"),
    Index("ix_harvest_record_regional_key", "regional_key"),
    Index("ix_harvest_record_organization", "source_id", "organization_id"),
)

regional_organization = Table(
    "harvest_regional_organization", metadata,
    # "ogrn:<ОГРН>", "inn:<ИНН>" or "record:<source id>:<uuid>" (no registration numbers).
    Column("key", String(80), primary_key=True),
    Column("id", String(36), nullable=False, unique=True),  # uuid5 of the key: stable
    Column("name", Text, nullable=False),
    Column("ogrn", String(15)),
    Column("inn", String(12)),
    Column("source_count", Integer, nullable=False),
    # [{"source": name, "id": uuid, "name": ..., "uri": ..., "modified": ...}], by source name
    Column("sources", JSONData, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_harvest_regional_ogrn", "ogrn"),
    Index("ix_harvest_regional_inn", "inn"),
)


def replica_engine(url: str) -> Engine:
    """An engine for the replica; SQLite files use WAL so readers never wait for a harvest."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
    return engine


def create_schema(engine: Engine) -> None:
    """Create the harvest_* tables that are missing (idempotent)."""
    metadata.create_all(engine)
