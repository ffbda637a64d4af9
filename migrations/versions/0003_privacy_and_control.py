"""Privacy and control: tombstones, the erasure ledger, vectors of a model being switched to.

- fact_history no longer cascades from facts: a deleted fact leaves a tombstone
  (type 'deleted' or 'expired', no text) that outlives the fact's rows.
- erasure_ledger records every ForgetUser: a keyed hash of the user id, the
  time and the per-table counts, never content, so erasures can be re-applied
  to a restored backup.
- fact_embeddings holds vectors of models other than the fact's own while an
  embedding model switch is in progress (the search keeps using facts.embedding
  until every current fact has a vector of the new model).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = r"""
ALTER TABLE fact_history DROP CONSTRAINT fact_history_fact_id_fkey;

CREATE TABLE erasure_ledger (
    id           bigserial PRIMARY KEY,
    -- HMAC-SHA256 of the user id with the server's erasure secret, hex: it finds the user
    -- again in a restored backup and tells nobody else who it was.
    subject_hash text NOT NULL,
    erased_at    timestamptz NOT NULL DEFAULT now(),
    counts       jsonb NOT NULL
);
CREATE INDEX erasure_ledger_subject ON erasure_ledger (subject_hash);

CREATE TABLE fact_embeddings (
    fact_id   uuid NOT NULL REFERENCES facts (id) ON DELETE CASCADE,
    model     text NOT NULL,
    -- Denormalised so a user's vectors of one model can be found without the facts table.
    user_id   text NOT NULL,
    embedding vector NOT NULL,
    PRIMARY KEY (fact_id, model)
);
CREATE INDEX fact_embeddings_user_model ON fact_embeddings (user_id, model);
CREATE INDEX fact_embeddings_model ON fact_embeddings (model);

-- The retention sweep visits only users who set a retention period.
CREATE INDEX users_with_retention ON users (user_id) WHERE retention_days > 0;
-- ... and the tasks whose raw turn is still kept.
CREATE INDEX extraction_tasks_with_text ON extraction_tasks (finished_at)
    WHERE user_message <> '' AND status IN ('completed', 'skipped', 'failed');
"""


def upgrade() -> None:
    op.execute(SCHEMA)


def downgrade() -> None:
    # Forward-only: restore from a backup instead of downgrading.
    raise NotImplementedError("migrations are forward-only")
