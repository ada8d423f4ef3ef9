"""llm usage, analysis cache key, organisation llm settings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "llm_usage",
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("cached", sa.Boolean(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_llm_usage_document_id_documents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_llm_usage_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_usage")),
    )
    with op.batch_alter_table("llm_usage", schema=None) as batch_op:
        batch_op.create_index("ix_llm_usage_org_month", ["organization_id", "month"], unique=False)
        batch_op.create_index(batch_op.f("ix_llm_usage_organization_id"), ["organization_id"], unique=False)
    op.create_table(
        "org_llm_settings",
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=True),
        sa.Column("region", sa.String(length=40), nullable=True),
        sa.Column("api_key_encrypted", sa.Text(), nullable=True),
        sa.Column("monthly_budget_usd", sa.Float(), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_org_llm_settings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_llm_settings")),
        sa.UniqueConstraint("organization_id", name="uq_org_llm_settings_organization_id"),
    )
    with op.batch_alter_table("org_llm_settings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_org_llm_settings_organization_id"), ["organization_id"], unique=False
        )
    with op.batch_alter_table("document_analyses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cache_key", sa.String(length=400), nullable=True))
        batch_op.create_index(batch_op.f("ix_document_analyses_cache_key"), ["cache_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("document_analyses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_analyses_cache_key"))
        batch_op.drop_column("cache_key")
    op.drop_table("org_llm_settings")
    op.drop_table("llm_usage")
