"""Index services and projects in name order, so category pages stay flat at national scale.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 14:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("nko_service", "nko_project")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_browse", table, ["live", "name", "id"], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_browse", table_name=table)
