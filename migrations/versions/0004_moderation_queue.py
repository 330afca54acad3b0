"""Index the workflow status of moderated records, for the moderation queue.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("nko_organization", "nko_service", "nko_project")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(op.f(f"ix_{table}_status"), table, ["status"], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(op.f(f"ix_{table}_status"), table_name=table)
