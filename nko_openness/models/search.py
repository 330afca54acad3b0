"""The search index: one document per public record, its facet values, and backend DDL.

The portable part is two ordinary tables. The full-text part differs by backend and is
created by DDL outside the model (here for ``create_all``, and in migration 0002):

* PostgreSQL: a generated ``tsvector`` column (``russian`` configuration, title weighted
  above body) with a GIN index.
* SQLite: an FTS5 table whose rowid is the document id, filled with Snowball stems by
  ``search/index.py`` (SQLite has no Russian stemmer of its own).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    DDL,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from nko_openness.models.base import Base, utcnow

FTS_TABLE = "nko_search_fts"
VECTOR_COLUMN = "search_vector"
VECTOR_INDEX = "ix_nko_search_document_vector"

POSTGRESQL_DDL = (
    f"ALTER TABLE nko_search_document ADD COLUMN IF NOT EXISTS {VECTOR_COLUMN} tsvector "
    "GENERATED ALWAYS AS ("
    "setweight(to_tsvector('russian'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('russian'::regconfig, coalesce(body, '')), 'B')"
    ") STORED",
    f"CREATE INDEX IF NOT EXISTS {VECTOR_INDEX} ON nko_search_document "
    f"USING gin ({VECTOR_COLUMN})",
)
# The tokenizer only splits: the text it receives is already stemmed and lower-cased.
SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 0')",
)


def backend_ddl(dialect_name: str) -> tuple[str, ...]:
    """The full-text DDL for one backend (idempotent statements)."""
    return {"postgresql": POSTGRESQL_DDL, "sqlite": SQLITE_DDL}.get(dialect_name, ())


def is_backend_search_object(type_: str, name: str | None) -> bool:
    """True for the full-text objects the model leaves out (the migration check skips them)."""
    if not name:
        return False
    if type_ == "table":
        # FTS5 keeps its data in shadow tables named after it (_data, _idx, _config, ...).
        return name == FTS_TABLE or name.startswith(FTS_TABLE + "_")
    if type_ == "column":
        return name == VECTOR_COLUMN
    if type_ == "index":
        return name == VECTOR_INDEX
    return False


class SearchDocument(Base):
    """The searchable text of one published organization, service or project."""

    __tablename__ = "nko_search_document"
    __table_args__ = (
        Index("ix_nko_search_document_entity", "entity_type", "entity_id", unique=True),
        # Browsing without a query walks this index in title order.
        Index("ix_nko_search_document_browse", "sort_title", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "organization", "service" or "program", as the feeds name them.
    entity_type: Mapped[str] = mapped_column(String(20), nullable=False)
    entity_id: Mapped[int] = mapped_column(Integer, nullable=False)
    entity_uuid: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    # Every document belongs to one organization: withdrawing it drops them all at once.
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("nko_organization.id", ondelete="CASCADE"), nullable=False, index=True
    )
    slug: Mapped[str | None] = mapped_column(String(120))  # organizations' URL key
    title: Mapped[str] = mapped_column(String(500), nullable=False)
    sort_title: Mapped[str] = mapped_column(String(500), nullable=False)
    organization_name: Mapped[str] = mapped_column(String(500), nullable=False)
    # Plain text (HTML stripped) that is indexed and shown as the snippet.
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    locality: Mapped[str | None] = mapped_column(String(255))
    is_free: Mapped[bool | None] = mapped_column(Boolean)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    indexed_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class SearchFacet(Base):
    """One facet value of one document (a category, an activity, "free", a plugin choice)."""

    __tablename__ = "nko_search_facet"
    # Filtering by a value finds its documents through this index; counting over the
    # matched documents goes through the primary key.
    __table_args__ = (Index("ix_nko_search_facet_value", "facet", "value", "document_id"),)

    document_id: Mapped[int] = mapped_column(
        ForeignKey("nko_search_document.id", ondelete="CASCADE"), primary_key=True
    )
    facet: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)


def _create_backend_objects(target, connection, **_kw):
    for statement in backend_ddl(connection.dialect.name):
        connection.execute(DDL(statement))


def _drop_backend_objects(target, connection, **_kw):
    if connection.dialect.name == "sqlite":
        connection.execute(DDL(f"DROP TABLE IF EXISTS {FTS_TABLE}"))


# ``Base.metadata.create_all`` (tests, quick starts) gets the full-text objects too.
event.listen(SearchDocument.__table__, "after_create", _create_backend_objects)
event.listen(SearchDocument.__table__, "before_drop", _drop_backend_objects)
