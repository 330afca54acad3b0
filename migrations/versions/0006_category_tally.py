"""Counters of published services and projects per category, filled from the search index.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here (not imported from the models) so this script stays as it is.
document = sa.table("nko_search_document", sa.column("id"), sa.column("entity_type"),
                    sa.column("entity_id"), sa.column("organization_id"))
organization = sa.table("nko_organization", sa.column("id"), sa.column("live", sa.Boolean))
entry = sa.table("nko_category_tally_entry", sa.column("document_id"), sa.column("category_id"))
tally = sa.table("nko_category_tally", sa.column("category_id"), sa.column("items"))
CHILDREN = (("service", "nko_service", "nko_service_category", "service_id"),
            ("program", "nko_project", "nko_project_category", "project_id"))


def upgrade() -> None:
    op.create_table(
        "nko_category_tally",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["nko_beneficiary_category.id"],
            name=op.f("fk_nko_category_tally_category_id_nko_beneficiary_category"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("category_id", name=op.f("pk_nko_category_tally")),
    )
    op.create_table(
        "nko_category_tally_entry",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["nko_beneficiary_category.id"],
            name=op.f("fk_nko_category_tally_entry_category_id_nko_beneficiary_category"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["nko_search_document.id"],
            name=op.f("fk_nko_category_tally_entry_document_id_nko_search_document"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "category_id",
                                name=op.f("pk_nko_category_tally_entry")),
    )
    _backfill()


def _backfill() -> None:
    # The indexed services and projects that are public (the index holds no other, unless
    # it was never rebuilt): one entry per own category, then the counts of the entries.
    for entity_type, record_name, link_name, key in CHILDREN:
        record = sa.table(record_name, sa.column("id"), sa.column("live", sa.Boolean))
        link = sa.table(link_name, sa.column(key), sa.column("category_id"))
        rows = (
            sa.select(document.c.id, link.c.category_id)
            .join(link, link.c[key] == document.c.entity_id)
            .join(record, record.c.id == document.c.entity_id)
            .join(organization, organization.c.id == document.c.organization_id)
            .where(document.c.entity_type == entity_type, record.c.live.is_(True),
                   organization.c.live.is_(True))
        )
        op.execute(entry.insert().from_select(["document_id", "category_id"], rows))
    counts = sa.select(entry.c.category_id, sa.func.count()).group_by(entry.c.category_id)
    op.execute(tally.insert().from_select(["category_id", "items"], counts))


def downgrade() -> None:
    op.drop_table("nko_category_tally_entry")
    op.drop_table("nko_category_tally")
