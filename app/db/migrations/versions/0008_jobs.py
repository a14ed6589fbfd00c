"""durable jobs: import jobs claimed by a worker with a heartbeat, their uploads kept in
the database, and claims of analyses computed in the background

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_job", sa.Column("worker", sa.String(length=100), nullable=True))
    op.add_column(
        "import_job", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "import_job",
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.add_column("import_job", sa.Column("actor", sa.String(length=100), nullable=True))
    op.create_index("ix_import_job_state", "import_job", ["state", "created_at"])
    op.create_table(
        "import_upload",
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["import_job.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "seq"),
    )
    op.create_table(
        "analysis_job",
        sa.Column("log_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("phase", sa.String(length=50), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["log_id"], ["event_log.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("log_id", "key"),
    )


def downgrade() -> None:
    op.drop_table("analysis_job")
    op.drop_table("import_upload")
    op.drop_index("ix_import_job_state", table_name="import_job")
    for column in ("actor", "attempts", "heartbeat_at", "worker"):
        op.drop_column("import_job", column)
