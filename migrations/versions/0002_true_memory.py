"""Memory that stays true: keys only by decision, turn times, failure classes, cheap queue counts.

- facts.fact_key is the caller's decision: the unique index of current keys no
  longer covers keyless facts, and keys the old code derived from sentences are
  cleared (a keyed fact whose text is not "<key>: <value>" was derived).
- extraction_tasks gain occurred_at (turn order), session_id, error_reason,
  charged_attempts (attempts that count against max_attempts) and give_up_at
  (the retry budget of an unreachable LLM), and the status 'skipped'.
- extraction_task_counts keeps per-status counts, sharded by backend, so
  GetQueueStats never counts the table (statement triggers with transition
  tables: one statement, one update, however many rows it touched).
- memory_events may carry no user (re-embedding progress) and new types.
- users gain retention_days and display_name; agents a display_name.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = r"""
ALTER TABLE facts ADD COLUMN session_id text NOT NULL DEFAULT '';
ALTER TABLE facts DROP CONSTRAINT facts_source_check;
ALTER TABLE facts ADD CONSTRAINT facts_source_check CHECK (source IN ('manual', 'extracted', 'imported'));
UPDATE facts SET fact_key = '', fact_value = ''
WHERE fact_key <> '' AND text <> fact_key || ': ' || fact_value;
DROP INDEX facts_current_key;
-- One current fact per key and scope; keyless facts are plain statements and never collide.
CREATE UNIQUE INDEX facts_current_key ON facts (user_id, agent_id, fact_key)
    WHERE valid_to IS NULL AND fact_key <> '';
CREATE INDEX facts_user_session ON facts (user_id, session_id, valid_from) WHERE session_id <> '';
-- Finding vectors of another model than the active one is two index range scans, not a table scan.
CREATE INDEX facts_embedding_model ON facts (embedding_model);

ALTER TABLE fact_history DROP CONSTRAINT fact_history_change_type_check;
ALTER TABLE fact_history ADD CONSTRAINT fact_history_change_type_check
    CHECK (change_type IN ('created', 'edited', 'superseded', 'invalidated', 'deleted', 'expired'));

ALTER TABLE extraction_tasks
    ADD COLUMN occurred_at timestamptz,
    ADD COLUMN session_id text NOT NULL DEFAULT '',
    ADD COLUMN error_reason text,
    -- Attempts that count against max_attempts: an attempt failed by an unreachable
    -- LLM or database, or given back at shutdown, is not charged.
    ADD COLUMN charged_attempts integer NOT NULL DEFAULT 0,
    -- Set at the first failure of an unreachable dependency: retries stop after it.
    ADD COLUMN give_up_at timestamptz;
UPDATE extraction_tasks SET occurred_at = created_at, charged_attempts = attempts;
ALTER TABLE extraction_tasks ALTER COLUMN occurred_at SET NOT NULL, ALTER COLUMN occurred_at SET DEFAULT now();
ALTER TABLE extraction_tasks DROP CONSTRAINT extraction_tasks_status_check;
ALTER TABLE extraction_tasks ADD CONSTRAINT extraction_tasks_status_check
    CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'skipped'));
DROP INDEX extraction_tasks_user_open;
-- A user's unfinished turns in the order they were said: only the first may be claimed.
CREATE INDEX extraction_tasks_user_open ON extraction_tasks (user_id, occurred_at, created_at, id)
    WHERE status IN ('pending', 'processing');
-- ListExtractions: newest first, by status or all.
CREATE INDEX extraction_tasks_by_status ON extraction_tasks (status, created_at DESC, id DESC);
CREATE INDEX extraction_tasks_newest ON extraction_tasks (created_at DESC, id DESC);
CREATE INDEX extraction_tasks_oldest_pending ON extraction_tasks (created_at) WHERE status = 'pending';

CREATE TABLE extraction_task_counts (
    status text NOT NULL,
    -- Writers add to the shard of their backend, so status changes in parallel
    -- transactions do not queue on one row; readers sum the shards.
    shard  smallint NOT NULL,
    tasks  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (status, shard)
);
INSERT INTO extraction_task_counts (status, shard, tasks)
SELECT status, 0, count(*) FROM extraction_tasks GROUP BY status;

CREATE FUNCTION count_extraction_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO extraction_task_counts AS c (status, shard, tasks)
        SELECT status, pg_backend_pid() % 16, count(*) FROM new_rows GROUP BY status
        ON CONFLICT (status, shard) DO UPDATE SET tasks = c.tasks + EXCLUDED.tasks;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO extraction_task_counts AS c (status, shard, tasks)
        SELECT status, pg_backend_pid() % 16, -count(*) FROM old_rows GROUP BY status
        ON CONFLICT (status, shard) DO UPDATE SET tasks = c.tasks + EXCLUDED.tasks;
    ELSE
        INSERT INTO extraction_task_counts AS c (status, shard, tasks)
        SELECT status, pg_backend_pid() % 16, sum(delta) FROM (
            SELECT status, 1 AS delta FROM new_rows
            UNION ALL
            SELECT status, -1 AS delta FROM old_rows
        ) AS moves
        GROUP BY status HAVING sum(delta) <> 0
        ON CONFLICT (status, shard) DO UPDATE SET tasks = c.tasks + EXCLUDED.tasks;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER extraction_tasks_counted_insert AFTER INSERT ON extraction_tasks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_extraction_tasks();
CREATE TRIGGER extraction_tasks_counted_update AFTER UPDATE ON extraction_tasks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_extraction_tasks();
CREATE TRIGGER extraction_tasks_counted_delete AFTER DELETE ON extraction_tasks
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_extraction_tasks();

ALTER TABLE users
    ADD COLUMN retention_days integer NOT NULL DEFAULT 0 CHECK (retention_days BETWEEN 0 AND 36500),
    ADD COLUMN display_name text NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN display_name text NOT NULL DEFAULT '';

ALTER TABLE memory_events ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE memory_events DROP CONSTRAINT memory_events_type_check;
ALTER TABLE memory_events ADD CONSTRAINT memory_events_type_check CHECK (type IN (
    'queued', 'processing', 'completed', 'retrying', 'failed', 'released', 'requeued', 'skipped', 'reembedding'
));
"""


def upgrade() -> None:
    op.execute(SCHEMA)


def downgrade() -> None:
    # Forward-only: restore from a backup instead of downgrading.
    raise NotImplementedError("migrations are forward-only")
