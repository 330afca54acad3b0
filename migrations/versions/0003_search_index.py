"""Russian full-text search: search documents, facet values, and each backend's text index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)

# Written out here (not imported from the models) so this script stays as it is.
POSTGRESQL_DDL = (
    "ALTER TABLE nko_search_document ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS ("
    "setweight(to_tsvector('russian'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('russian'::regconfig, coalesce(body, '')), 'B')"
    ") STORED",
    "CREATE INDEX IF NOT EXISTS ix_nko_search_document_vector ON nko_search_document "
    "USING gin (search_vector)",
)
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS nko_search_fts USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 0')",
)


def upgrade() -> None:
    op.create_table(
        "nko_search_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("entity_uuid", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("sort_title", sa.String(length=500), nullable=False),
        sa.Column("organization_name", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("locality", sa.String(length=255), nullable=True),
        sa.Column("is_free", sa.Boolean(), nullable=True),
        sa.Column("minimum_age", sa.Integer(), nullable=True),
        sa.Column("maximum_age", sa.Integer(), nullable=True),
        sa.Column("indexed_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["nko_organization.id"],
            name=op.f("fk_nko_search_document_organization_id_nko_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nko_search_document")),
    )
    op.create_index(
        "ix_nko_search_document_browse", "nko_search_document", ["sort_title", "id"],
        unique=False,
    )
    op.create_index(
        "ix_nko_search_document_entity", "nko_search_document", ["entity_type", "entity_id"],
        unique=True,
    )
    op.create_index(
        op.f("ix_nko_search_document_organization_id"), "nko_search_document",
        ["organization_id"], unique=False,
    )

    op.create_table(
        "nko_search_facet",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("facet", sa.String(length=50), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["nko_search_document.id"],
            name=op.f("fk_nko_search_facet_document_id_nko_search_document"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "facet", "value", name=op.f("pk_nko_search_facet")),
    )
    op.create_index(
        "ix_nko_search_facet_value", "nko_search_facet", ["facet", "value", "document_id"],
        unique=False,
    )

    dialect = op.get_context().dialect.name
    for statement in {"postgresql": POSTGRESQL_DDL, "sqlite": SQLITE_DDL}.get(dialect, ()):
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS nko_search_fts")
    op.drop_index("ix_nko_search_facet_value", table_name="nko_search_facet")
    op.drop_table("nko_search_facet")
    op.drop_index(op.f("ix_nko_search_document_organization_id"),
                  table_name="nko_search_document")
    op.drop_index("ix_nko_search_document_entity", table_name="nko_search_document")
    op.drop_index("ix_nko_search_document_browse", table_name="nko_search_document")
    op.drop_table("nko_search_document")
