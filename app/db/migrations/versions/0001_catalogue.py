"""catalogue

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "owner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("owner", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_owner_department_id"), ["department_id"], unique=False)

    op.create_table(
        "process",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("customer", sa.String(length=500), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("standard_hours", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["owner.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    with op.batch_alter_table("process", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_process_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "process_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["process_id"], ["process.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("process_id", "label", name="uq_version_label"),
    )
    with op.batch_alter_table("process_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_version_process_id"), ["process_id"], unique=False
        )

    op.create_table(
        "step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("system", sa.String(length=300), nullable=True),
        sa.Column("manual_entry", sa.Boolean(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=True),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["owner_id"], ["owner.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["version_id"], ["process_version.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id", "key", name="uq_step_key"),
    )
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_step_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_version_id"), ["version_id"], unique=False)

    op.create_table(
        "flow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("from_step_id", sa.Integer(), nullable=False),
        sa.Column("to_step_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("standard_hours", sa.Float(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["from_step_id"], ["step.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["owner.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["to_step_id"], ["step.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["process_version.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id", "from_step_id", "to_step_id", name="uq_flow_ends"),
    )
    with op.batch_alter_table("flow", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flow_from_step_id"), ["from_step_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flow_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flow_to_step_id"), ["to_step_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flow_version_id"), ["version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flow", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_version_id"))
        batch_op.drop_index(batch_op.f("ix_flow_to_step_id"))
        batch_op.drop_index(batch_op.f("ix_flow_owner_id"))
        batch_op.drop_index(batch_op.f("ix_flow_from_step_id"))

    op.drop_table("flow")
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_step_version_id"))
        batch_op.drop_index(batch_op.f("ix_step_owner_id"))
        batch_op.drop_index(batch_op.f("ix_step_department_id"))

    op.drop_table("step")
    with op.batch_alter_table("process_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_version_process_id"))

    op.drop_table("process_version")
    with op.batch_alter_table("process", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_owner_id"))

    op.drop_table("process")
    with op.batch_alter_table("owner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_owner_department_id"))

    op.drop_table("owner")
    op.drop_table("department")
