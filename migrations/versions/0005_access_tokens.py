"""Access tokens: random secrets stored as SHA-256 hashes, with a role and, for user tokens, their user.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = r"""
CREATE TABLE access_tokens (
    name         text PRIMARY KEY,
    role         text NOT NULL CHECK (role IN ('service', 'user', 'admin')),
    -- For user tokens: the one user they reach.
    user_id      text CHECK ((role = 'user') = (user_id IS NOT NULL)),
    -- The secret is never stored: tokens carry 256 random bits, so a fast hash is enough.
    token_hash   bytea NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_used_at timestamptz
);
"""


def upgrade() -> None:
    op.execute(SCHEMA)


def downgrade() -> None:
    # Forward-only: restore from a backup instead of downgrading.
    raise NotImplementedError("migrations are forward-only")
