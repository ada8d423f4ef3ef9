"""document analyses

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 03:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_analyses",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("analyzer", sa.String(length=60), nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("analyzed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_analyses_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_document_analyses_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_analyses")),
        sa.UniqueConstraint("document_id", name=op.f("uq_document_analyses_document_id")),
    )
    with op.batch_alter_table("document_analyses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_analyses_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_document_analyses_document_type"), ["document_type"], unique=False
        )


def downgrade() -> None:
    op.drop_table("document_analyses")
