"""Initial schema: users, agents, facts with vectors, fact history, extraction queue, event log.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE users (
    user_id             text PRIMARY KEY,
    extraction_enabled  boolean NOT NULL DEFAULT true,
    -- NULL until settings are stored: the defaults apply.
    settings_updated_at timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents (
    agent_id     text PRIMARY KEY,
    memory_scope text NOT NULL DEFAULT 'global' CHECK (memory_scope IN ('global', 'agent')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE extraction_tasks (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    agent_id       text NOT NULL DEFAULT '',
    user_message   text NOT NULL,
    ai_response    text NOT NULL DEFAULT '',
    request_id     text,
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    attempts       integer NOT NULL DEFAULT 0,
    max_attempts   integer NOT NULL CHECK (max_attempts > 0),
    -- pending: when it may be claimed (after a retry's backoff);
    -- processing: when the worker's lease expires and another may claim it.
    due_at         timestamptz NOT NULL DEFAULT now(),
    -- A new token per claim; every write of results is fenced by it.
    lease_token    uuid,
    worker_id      text,
    last_error     text,
    counts         jsonb,
    skipped_reason text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    finished_at    timestamptz
);
CREATE UNIQUE INDEX extraction_tasks_request_id ON extraction_tasks (user_id, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX extraction_tasks_due ON extraction_tasks (due_at) WHERE status IN ('pending', 'processing');
CREATE INDEX extraction_tasks_user ON extraction_tasks (user_id, created_at);
-- A user's unfinished tasks in order: only the oldest may be claimed (turns apply in order).
CREATE INDEX extraction_tasks_user_open ON extraction_tasks (user_id, created_at, id)
    WHERE status IN ('pending', 'processing');
CREATE INDEX extraction_tasks_finished ON extraction_tasks (finished_at) WHERE status = 'completed';

CREATE TABLE facts (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    -- '' is global (every agent of the user sees it); NULL would make the unique index below leak.
    agent_id           text NOT NULL DEFAULT '',
    fact_key           text NOT NULL,
    fact_value         text NOT NULL,
    text               text NOT NULL,
    importance         real NOT NULL DEFAULT 0.5 CHECK (importance >= 0 AND importance <= 1),
    source             text NOT NULL CHECK (source IN ('manual', 'extracted')),
    source_task_id     uuid REFERENCES extraction_tasks (id) ON DELETE SET NULL,
    supersedes_fact_id uuid REFERENCES facts (id) ON DELETE SET NULL,
    -- No fixed dimension: vectors of several models coexist while facts are re-embedded,
    -- and search only compares vectors of the active model.
    embedding          vector NOT NULL,
    embedding_model    text NOT NULL,
    request_id         text,
    search_text        tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
    valid_from         timestamptz NOT NULL DEFAULT now(),
    valid_to           timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
-- One current fact per key and scope: a new one must close the old one first.
CREATE UNIQUE INDEX facts_current_key ON facts (user_id, agent_id, fact_key) WHERE valid_to IS NULL;
-- The hot path scans one user's current facts exactly (see benchmarks/search_index.py).
CREATE INDEX facts_current_by_user ON facts (user_id, embedding_model) WHERE valid_to IS NULL;
CREATE INDEX facts_by_user_created ON facts (user_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX facts_request_id ON facts (user_id, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX facts_source_task ON facts (source_task_id) WHERE source_task_id IS NOT NULL;
CREATE INDEX facts_supersedes ON facts (supersedes_fact_id) WHERE supersedes_fact_id IS NOT NULL;

CREATE TABLE fact_history (
    id          bigserial PRIMARY KEY,
    fact_id     uuid NOT NULL REFERENCES facts (id) ON DELETE CASCADE,
    user_id     text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    change_type text NOT NULL CHECK (change_type IN ('created', 'edited', 'superseded', 'invalidated')),
    old_text    text,
    new_text    text,
    task_id     uuid REFERENCES extraction_tasks (id) ON DELETE SET NULL,
    request_id  text,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fact_history_fact ON fact_history (fact_id, id);
CREATE INDEX fact_history_user ON fact_history (user_id);
CREATE INDEX fact_history_task ON fact_history (task_id) WHERE task_id IS NOT NULL;

-- Event ids are handed out from this one row inside the writing transaction, as its
-- last statement: the row lock orders commits, so ids become visible in id order
-- with no gaps, and a reader resuming after id N can never miss a later commit of
-- a smaller id (a plain sequence can commit out of order).
CREATE TABLE memory_event_log (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_event_id  bigint NOT NULL DEFAULT 0,
    -- Events up to this id were removed by retention; older cursors are OUT_OF_RANGE.
    pruned_through bigint NOT NULL DEFAULT 0
);
INSERT INTO memory_event_log DEFAULT VALUES;

CREATE TABLE memory_events (
    id         bigint PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    agent_id   text NOT NULL DEFAULT '',
    task_id    uuid,
    type       text NOT NULL CHECK (type IN ('queued', 'processing', 'completed', 'retrying', 'failed')),
    attempt    integer NOT NULL DEFAULT 0,
    payload    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX memory_events_user ON memory_events (user_id, id);
CREATE INDEX memory_events_task ON memory_events (task_id);
CREATE INDEX memory_events_created ON memory_events (created_at);

CREATE TABLE system_settings (
    key        text PRIMARY KEY,
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
"""


def upgrade() -> None:
    op.execute(SCHEMA)


def downgrade() -> None:
    # Forward-only: restore from a backup instead of downgrading.
    raise NotImplementedError("migrations are forward-only")
