"""The module's first schema: NKOs, services, projects, categories, workflow and the outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 20:40:35.178835
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The models' custom types written out plainly, so this script stays as it is when they change.
UTC_DATETIME = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "nko_beneficiary_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["nko_beneficiary_category.id"],
            name=op.f("fk_nko_beneficiary_category_parent_id_nko_beneficiary_category"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nko_beneficiary_category")),
        sa.UniqueConstraint("slug", name=op.f("uq_nko_beneficiary_category_slug")),
        sa.UniqueConstraint("uuid", name=op.f("uq_nko_beneficiary_category_uuid")),
    )
    op.create_index(
        op.f("ix_nko_beneficiary_category_parent_id"),
        "nko_beneficiary_category",
        ["parent_id"],
        unique=False,
    )

    op.create_table(
        "nko_change",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("entity_type", sa.String(length=20), nullable=False),
        sa.Column("entity_uuid", sa.Uuid(), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_nko_change")),
    )
    op.create_index(
        "ix_nko_change_entity", "nko_change", ["entity_type", "entity_uuid"], unique=False
    )

    op.create_table(
        "nko_organization",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("alternate_name", sa.String(length=255), nullable=True),
        sa.Column("sort_name", sa.String(length=500), nullable=False),
        sa.Column("legal_form", sa.String(length=40), nullable=False),
        sa.Column("inn", sa.String(length=12), nullable=True),
        sa.Column("ogrn", sa.String(length=15), nullable=True),
        sa.Column("kpp", sa.String(length=9), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("mission", sa.Text(), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("contact_role", sa.String(length=255), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("locality", sa.String(length=255), nullable=True),
        sa.Column("year_incorporated", sa.Integer(), nullable=True),
        sa.Column("in_registry", sa.Boolean(), nullable=False),
        sa.Column("minjust_reports_url", sa.String(length=500), nullable=True),
        sa.Column("social_links", JSON_DOCUMENT, nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("has_unpublished_changes", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("live_version", sa.Integer(), nullable=True),
        sa.Column("first_published_at", UTC_DATETIME, nullable=True),
        sa.Column("last_published_at", UTC_DATETIME, nullable=True),
        sa.Column("extra", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nko_organization")),
        sa.UniqueConstraint("slug", name=op.f("uq_nko_organization_slug")),
        sa.UniqueConstraint("uuid", name=op.f("uq_nko_organization_uuid")),
    )
    op.create_index(
        "ix_nko_organization_catalog", "nko_organization", ["live", "sort_name", "id"], unique=False
    )
    op.create_index(op.f("ix_nko_organization_inn"), "nko_organization", ["inn"], unique=False)
    op.create_index(op.f("ix_nko_organization_ogrn"), "nko_organization", ["ogrn"], unique=False)

    op.create_table(
        "nko_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=20), nullable=False),
        sa.Column("entity_uuid", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("data", JSON_DOCUMENT, nullable=False),
        sa.Column("author_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nko_revision")),
    )
    op.create_index(
        "ix_nko_revision_entity",
        "nko_revision",
        ["entity_type", "entity_uuid", "number"],
        unique=True,
    )

    op.create_table(
        "nko_workflow_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=20), nullable=False),
        sa.Column("entity_uuid", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nko_workflow_event")),
    )
    op.create_index(
        "ix_nko_workflow_event_entity",
        "nko_workflow_event",
        ["entity_type", "entity_uuid", "id"],
        unique=False,
    )

    op.create_table(
        "nko_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("original_filename", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=255), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["nko_organization.id"],
            name=op.f("fk_nko_document_organization_id_nko_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nko_document")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_nko_document_stored_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_nko_document_uuid")),
    )
    op.create_index(
        op.f("ix_nko_document_organization_id"), "nko_document", ["organization_id"], unique=False
    )

    op.create_table(
        "nko_membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["nko_organization.id"],
            name=op.f("fk_nko_membership_organization_id_nko_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nko_membership")),
    )
    op.create_index(
        op.f("ix_nko_membership_organization_id"),
        "nko_membership",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        "ix_nko_membership_user_org", "nko_membership", ["user_id", "organization_id"], unique=True
    )

    op.create_table(
        "nko_organization_activity",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("activity", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["nko_organization.id"],
            name=op.f("fk_nko_organization_activity_organization_id_nko_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "activity", name=op.f("pk_nko_organization_activity")
        ),
    )
    op.create_index(
        "ix_nko_organization_activity_activity",
        "nko_organization_activity",
        ["activity", "organization_id"],
        unique=False,
    )

    op.create_table(
        "nko_organization_category",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["nko_beneficiary_category.id"],
            name=op.f("fk_nko_organization_category_category_id_nko_beneficiary_category"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["nko_organization.id"],
            name=op.f("fk_nko_organization_category_organization_id_nko_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "category_id", name=op.f("pk_nko_organization_category")
        ),
    )
    op.create_index(
        "ix_nko_organization_category_category",
        "nko_organization_category",
        ["category_id", "organization_id"],
        unique=False,
    )

    op.create_table(
        "nko_project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("alternate_name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("goal", sa.Text(), nullable=True),
        sa.Column("tasks", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("project_status", sa.String(length=20), nullable=False),
        sa.Column("geography", sa.String(length=500), nullable=True),
        sa.Column("partners", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("has_unpublished_changes", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("live_version", sa.Integer(), nullable=True),
        sa.Column("first_published_at", UTC_DATETIME, nullable=True),
        sa.Column("last_published_at", UTC_DATETIME, nullable=True),
        sa.Column("extra", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["nko_organization.id"],
            name=op.f("fk_nko_project_organization_id_nko_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nko_project")),
        sa.UniqueConstraint("uuid", name=op.f("uq_nko_project_uuid")),
    )
    op.create_index(
        "ix_nko_project_org_live", "nko_project", ["organization_id", "live", "name"], unique=False
    )

    op.create_table(
        "nko_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("alternate_name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("service_status", sa.String(length=30), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("contact_role", sa.String(length=255), nullable=True),
        sa.Column("eligibility_description", sa.Text(), nullable=True),
        sa.Column("minimum_age", sa.Integer(), nullable=True),
        sa.Column("maximum_age", sa.Integer(), nullable=True),
        sa.Column("is_free", sa.Boolean(), nullable=False),
        sa.Column("fees_description", sa.Text(), nullable=True),
        sa.Column("application_process", sa.Text(), nullable=True),
        sa.Column("schedule_description", sa.Text(), nullable=True),
        sa.Column("service_area", sa.String(length=500), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("has_unpublished_changes", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("live_version", sa.Integer(), nullable=True),
        sa.Column("first_published_at", UTC_DATETIME, nullable=True),
        sa.Column("last_published_at", UTC_DATETIME, nullable=True),
        sa.Column("extra", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["nko_organization.id"],
            name=op.f("fk_nko_service_organization_id_nko_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nko_service")),
        sa.UniqueConstraint("uuid", name=op.f("uq_nko_service_uuid")),
    )
    op.create_index(
        "ix_nko_service_org_live", "nko_service", ["organization_id", "live", "name"], unique=False
    )

    op.create_table(
        "nko_project_category",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["nko_beneficiary_category.id"],
            name=op.f("fk_nko_project_category_category_id_nko_beneficiary_category"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["nko_project.id"],
            name=op.f("fk_nko_project_category_project_id_nko_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "category_id", name=op.f("pk_nko_project_category")),
    )
    op.create_index(
        "ix_nko_project_category_category",
        "nko_project_category",
        ["category_id", "project_id"],
        unique=False,
    )

    op.create_table(
        "nko_project_funding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("funder", sa.String(length=500), nullable=False),
        sa.Column("programme", sa.String(length=500), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("award_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["nko_project.id"],
            name=op.f("fk_nko_project_funding_project_id_nko_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nko_project_funding")),
    )
    op.create_index(
        op.f("ix_nko_project_funding_project_id"),
        "nko_project_funding",
        ["project_id"],
        unique=False,
    )

    op.create_table(
        "nko_project_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=500), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=True),
        sa.Column("planned", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("achieved", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["nko_project.id"],
            name=op.f("fk_nko_project_result_project_id_nko_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nko_project_result")),
    )
    op.create_index(
        op.f("ix_nko_project_result_project_id"), "nko_project_result", ["project_id"], unique=False
    )

    op.create_table(
        "nko_service_category",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["nko_beneficiary_category.id"],
            name=op.f("fk_nko_service_category_category_id_nko_beneficiary_category"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["nko_service.id"],
            name=op.f("fk_nko_service_category_service_id_nko_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", "category_id", name=op.f("pk_nko_service_category")),
    )
    op.create_index(
        "ix_nko_service_category_category",
        "nko_service_category",
        ["category_id", "service_id"],
        unique=False,
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; children go before their parents.
    op.drop_table("nko_service_category")
    op.drop_table("nko_project_result")
    op.drop_table("nko_project_funding")
    op.drop_table("nko_project_category")
    op.drop_table("nko_service")
    op.drop_table("nko_project")
    op.drop_table("nko_organization_category")
    op.drop_table("nko_organization_activity")
    op.drop_table("nko_membership")
    op.drop_table("nko_document")
    op.drop_table("nko_workflow_event")
    op.drop_table("nko_revision")
    op.drop_table("nko_organization")
    op.drop_table("nko_change")
    op.drop_table("nko_beneficiary_category")
