"""SQL for access tokens (hashes only) and their use."""

from __future__ import annotations

from memory_service.db.database import Connection, Record, one
from memory_service.domain import AccessToken, TokenRole

_COLUMNS = "name, role, user_id, prefix, created_at, revoked_at, last_used_at"


def _token(row: Record) -> AccessToken:
    return AccessToken(
        name=row["name"],
        role=TokenRole(row["role"]),
        user_id=row["user_id"],
        prefix=row["prefix"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )


async def insert(
    conn: Connection, name: str, role: TokenRole, user_id: str | None, token_hash: bytes, prefix: str
) -> AccessToken:
    row = one(
        await conn.fetchrow(
            f"""INSERT INTO access_tokens (name, role, user_id, token_hash, prefix) VALUES ($1, $2, $3, $4, $5)
                RETURNING {_COLUMNS}""",
            name,
            role.value,
            user_id,
            token_hash,
            prefix,
        )
    )
    return _token(row)


async def by_hash(conn: Connection, token_hash: bytes) -> AccessToken | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM access_tokens WHERE token_hash = $1", token_hash)
    return _token(row) if row else None


async def all_tokens(conn: Connection) -> list[AccessToken]:
    return [_token(r) for r in await conn.fetch(f"SELECT {_COLUMNS} FROM access_tokens ORDER BY name")]


async def revoke(conn: Connection, name: str) -> AccessToken | None:
    row = await conn.fetchrow(
        f"""UPDATE access_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE name = $1 RETURNING {_COLUMNS}""",
        name,
    )
    return _token(row) if row else None


async def touch(conn: Connection, name: str) -> None:
    """Records a use, at most once a minute per token (a write per call would cost more than the call)."""
    await conn.execute(
        """UPDATE access_tokens SET last_used_at = now()
           WHERE name = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')""",
        name,
    )
