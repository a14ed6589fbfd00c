"""version review fields

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effort_months", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("one_off_cost", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("expected_impact", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("process_version", schema=None) as batch_op:
        batch_op.drop_column("expected_impact")
        batch_op.drop_column("one_off_cost")
        batch_op.drop_column("effort_months")
