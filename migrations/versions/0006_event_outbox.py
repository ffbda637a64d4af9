"""Event outbox: writers append without a shared lock; one relay gives events their gap-free ids.

Until now every event-writing transaction updated the single memory_event_log row
and held its lock through commit, so QueueExtraction and the workers of the whole
cluster committed one at a time (benchmarks/event_log_ceiling.py). Writers now
insert into memory_event_outbox (a sequence, no shared row); the relay (one
process of the cluster, chosen by an advisory lock) moves committed rows into
memory_events in batches, numbering them from memory_event_log. Ids stay gap-free
and are handed out in the order the rows became visible, so a reader resuming
after id N never misses a later event.

Writers do not even NOTIFY while events come fast: PostgreSQL holds a global lock
from a notifying transaction's pre-commit to its end, WAL flush included, so
notifying writers commit one at a time too. The relay says when it is polling
(memory_event_log.relay_busy) and wakes the workers itself.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = r"""
CREATE TABLE memory_event_outbox (
    -- Only orders the rows of one relay batch; ids are given by the relay.
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    text REFERENCES users (user_id) ON DELETE CASCADE,
    agent_id   text NOT NULL DEFAULT '',
    task_id    uuid,
    -- The same types as memory_events: a bad one fails its writer, never the relay's batch.
    type       text NOT NULL CHECK (type IN (
        'queued', 'processing', 'completed', 'retrying', 'failed', 'released', 'requeued', 'skipped', 'reembedding'
    )),
    attempt    integer NOT NULL DEFAULT 0,
    payload    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX memory_event_outbox_user ON memory_event_outbox (user_id);

-- Set by the relay while events come faster than it could be woken for each: writers then skip their
-- NOTIFYs (PostgreSQL serialises the commits of notifying transactions), and the relay polls instead.
ALTER TABLE memory_event_log ADD COLUMN relay_busy boolean NOT NULL DEFAULT false;

-- The queue counters' trigger locks its shard's rows in status order: two backends sharing a shard
-- (pid % 16) that moved tasks between the same two statuses could lock them in opposite orders and
-- deadlock (a worker's result then came back as TRANSACTION_CONFLICT and cost an attempt).
CREATE OR REPLACE FUNCTION count_extraction_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO extraction_task_counts AS c (status, shard, tasks)
        SELECT status, pg_backend_pid() % 16, count(*) FROM new_rows GROUP BY status ORDER BY status
        ON CONFLICT (status, shard) DO UPDATE SET tasks = c.tasks + EXCLUDED.tasks;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO extraction_task_counts AS c (status, shard, tasks)
        SELECT status, pg_backend_pid() % 16, -count(*) FROM old_rows GROUP BY status ORDER BY status
        ON CONFLICT (status, shard) DO UPDATE SET tasks = c.tasks + EXCLUDED.tasks;
    ELSE
        INSERT INTO extraction_task_counts AS c (status, shard, tasks)
        SELECT status, pg_backend_pid() % 16, sum(delta) FROM (
            SELECT status, 1 AS delta FROM new_rows
            UNION ALL
            SELECT status, -1 AS delta FROM old_rows
        ) AS moves
        GROUP BY status HAVING sum(delta) <> 0 ORDER BY status
        ON CONFLICT (status, shard) DO UPDATE SET tasks = c.tasks + EXCLUDED.tasks;
    END IF;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(SCHEMA)


def downgrade() -> None:
    # Forward-only: restore from a backup instead of downgrading.
    raise NotImplementedError("migrations are forward-only")
