"""Search text that knows when a fact was said, and vectors kept inline.

- memory_date_words(timestamptz): "saturday march 9 9th 2024" (UTC), IMMUTABLE so a
  generated column can use it.
- facts.search_text now holds the fact's words and those of the day it became
  true (valid_from): "what did I do in March?" finds March's facts lexically.
- facts.embedding is stored inline (STORAGE MAIN) rather than TOASTed: the exact
  per-user scan reads every vector, and the dated text pushed rows past the
  TOAST threshold.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = r"""
CREATE FUNCTION memory_date_words(at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (
    SELECT (ARRAY['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'])
               [extract(dow FROM t)::int + 1]
        || ' ' || (ARRAY['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september',
                         'october', 'november', 'december'])[extract(month FROM t)::int]
        || ' ' || extract(day FROM t)::int::text
        || ' ' || extract(day FROM t)::int::text
        || CASE WHEN extract(day FROM t)::int IN (1, 21, 31) THEN 'st'
                WHEN extract(day FROM t)::int IN (2, 22) THEN 'nd'
                WHEN extract(day FROM t)::int IN (3, 23) THEN 'rd' ELSE 'th' END
        || ' ' || extract(year FROM t)::int::text
    -- UTC: users' time zones are not stored; a late-evening turn may land on the next day.
    FROM (SELECT timezone('UTC', at) AS t) AS utc
);

ALTER TABLE facts ALTER COLUMN embedding SET STORAGE MAIN;
ALTER TABLE facts DROP COLUMN search_text;
ALTER TABLE facts ADD COLUMN search_text tsvector
    GENERATED ALWAYS AS (to_tsvector('english', text || ' ' || memory_date_words(valid_from))) STORED;
"""


def upgrade() -> None:
    op.execute(SCHEMA)


def downgrade() -> None:
    # Forward-only: restore from a backup instead of downgrading.
    raise NotImplementedError("migrations are forward-only")
