"""search chunks with a keyword index (SQLite FTS5 / PostgreSQL GIN)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The organisation is a column of the FTS5 table, so that MATCH itself narrows to one tenant and FTS5 can rank
# and cut to the best rows without a join; rank ignores that column (weight 0).
SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE search_chunks_fts USING fts5(org, body, content='',"
    " tokenize='porter unicode61 remove_diacritics 2')",
    "INSERT INTO search_chunks_fts(search_chunks_fts, rank) VALUES ('rank', 'bm25(0.0, 1.0)')",
    "CREATE TRIGGER search_chunks_fts_insert AFTER INSERT ON search_chunks BEGIN"
    " INSERT INTO search_chunks_fts(rowid, org, body)"
    " VALUES (new.id, 'o' || new.organization_id, new.context || char(10) || new.text); END",
    "CREATE TRIGGER search_chunks_fts_delete AFTER DELETE ON search_chunks BEGIN"
    " INSERT INTO search_chunks_fts(search_chunks_fts, rowid, org, body)"
    " VALUES ('delete', old.id, 'o' || old.organization_id, old.context || char(10) || old.text); END",
)
# A stored tsvector: matching phrases and ranking read it instead of re-parsing every candidate's text.
POSTGRES_INDEX = (
    "ALTER TABLE search_chunks ADD COLUMN tsv tsvector"
    " GENERATED ALWAYS AS (to_tsvector('english'::regconfig, context || ' ' || text)) STORED",
    "CREATE INDEX ix_search_chunks_tsv ON search_chunks USING gin (tsv)",
)


def upgrade() -> None:
    op.create_table(
        "search_chunks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("context", sa.String(length=1000), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_search_chunks_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_search_chunks_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_chunks")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_search_chunks_document_id"), "search_chunks", ["document_id"], unique=False)
    op.create_index(
        "ix_search_chunks_organization_id_id", "search_chunks", ["organization_id", "id"], unique=False
    )
    statements = SQLITE_INDEX if op.get_bind().dialect.name == "sqlite" else POSTGRES_INDEX
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_chunks_fts")
    op.drop_table("search_chunks")
