"""signoffs reviews audit

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_key", sa.String(length=300), nullable=False),
        sa.Column("process", sa.String(length=100), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_process", ["process"], unique=False)

    op.create_table(
        "version_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=False),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["process_version.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("version_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_version_review_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "handoff_signoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("comment", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["flow_id"], ["flow.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("flow_id", "department_id", name="uq_signoff_side"),
    )
    with op.batch_alter_table("handoff_signoff", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handoff_signoff_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_handoff_signoff_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_handoff_signoff_flow_id"), ["flow_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handoff_signoff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_signoff_flow_id"))
        batch_op.drop_index(batch_op.f("ix_handoff_signoff_department_id"))
        batch_op.drop_index(batch_op.f("ix_handoff_signoff_account_id"))

    op.drop_table("handoff_signoff")
    with op.batch_alter_table("version_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_version_review_version_id"))

    op.drop_table("version_review")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_process")

    op.drop_table("audit_entry")
