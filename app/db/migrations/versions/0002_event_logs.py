"""event logs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("log_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("activity", sa.String(), nullable=False),
        sa.Column("timestamp_us", sa.BigInteger(), nullable=False),
        sa.Column("start_us", sa.BigInteger(), nullable=True),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("resource", sa.String(), nullable=True),
        sa.Column("lifecycle", sa.String(), nullable=True),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("attributes", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("log_id", "seq"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_log_case", ["log_id", "case_id"], unique=False)

    op.create_table(
        "event_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("source_filename", sa.String(length=500), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("wrapper", sa.String(length=10), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("options_sha256", sa.String(length=64), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("exact_duplicate_rows_dropped", sa.Integer(), nullable=False),
        sa.Column("rows_skipped", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("activities", sa.Integer(), nullable=False),
        sa.Column("departments", sa.JSON(), nullable=False),
        sa.Column("unassigned_events", sa.Integer(), nullable=False),
        sa.Column("first_event_us", sa.BigInteger(), nullable=True),
        sa.Column("last_event_us", sa.BigInteger(), nullable=True),
        sa.Column("timestamp_format", sa.String(length=100), nullable=False),
        sa.Column("quality", sa.JSON(), nullable=False),
        sa.Column("import_seconds", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("content_sha256", "options_sha256", name="uq_event_log_content"),
    )
    op.create_table(
        "instance_secret",
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "import_job",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("source_filename", sa.String(length=500), nullable=False),
        sa.Column("bytes_total", sa.BigInteger(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("phase", sa.String(length=50), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=True),
        sa.Column("log_id", sa.Integer(), nullable=True),
        sa.Column("created", sa.Boolean(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["log_id"], ["event_log.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("import_job")
    op.drop_table("instance_secret")
    op.drop_table("event_log")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_log_case")

    op.drop_table("event")
