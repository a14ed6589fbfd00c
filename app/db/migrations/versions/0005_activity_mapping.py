"""activity mapping

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_mapping",
        sa.Column("log_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("process", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("activity", sa.String(), nullable=False),
        sa.Column("step", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("log_id", "process", "version", "activity"),
    )


def downgrade() -> None:
    op.drop_table("activity_mapping")
