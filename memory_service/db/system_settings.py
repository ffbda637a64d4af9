"""SQL for runtime settings and the embedding model's state (system_settings: key → JSONB)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from memory_service.db import advisory_locks
from memory_service.db.database import Connection

EMBEDDING_STATE = "embedding.state"
LLM_PREFIX = "llm."
# Fact writes share this lock; the cut-over of a model switch takes it exclusively (see embedding_gate()).
SWITCH_LOCK = advisory_locks.MODEL_SWITCH


@dataclass(frozen=True)
class EmbeddingState:
    """Which model's vectors the search compares (active), and the one being switched to (target)."""

    active: dict[str, Any]  # the embedding.* identity, secrets sealed
    active_model_id: str
    target: dict[str, Any] | None = None
    target_model_id: str | None = None
    moving: bool = False  # after a cut-over: the new vectors are still being moved into facts.embedding

    def as_json(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "active_model_id": self.active_model_id,
            "target": self.target,
            "target_model_id": self.target_model_id,
            "moving": self.moving,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> EmbeddingState:
        return cls(
            active=dict(value["active"]),
            active_model_id=str(value["active_model_id"]),
            target=dict(value["target"]) if value.get("target") else None,
            target_model_id=value.get("target_model_id"),
            moving=bool(value.get("moving", False)),
        )


async def llm_values(conn: Connection) -> dict[str, Any]:
    records = await conn.fetch("SELECT key, value FROM system_settings WHERE key LIKE 'llm.%'")
    return {r["key"]: r["value"] for r in records}


async def store(conn: Connection, values: Mapping[str, Any], clear: Iterable[str]) -> None:
    await conn.executemany(
        """INSERT INTO system_settings (key, value, updated_at) VALUES ($1, $2, now())
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()""",
        list(values.items()),
    )
    await conn.execute("DELETE FROM system_settings WHERE key = ANY($1::text[])", list(clear))


async def embedding_state(conn: Connection, *, for_update: bool = False) -> EmbeddingState | None:
    value = await conn.fetchval(
        "SELECT value FROM system_settings WHERE key = $1" + (" FOR UPDATE" if for_update else ""), EMBEDDING_STATE
    )
    return EmbeddingState.from_json(value) if value else None


async def seed_embedding_state(conn: Connection, state: EmbeddingState) -> EmbeddingState:
    """Stores the first process's model as the cluster's, unless one is stored already; returns the stored one."""
    await conn.execute(
        "INSERT INTO system_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        EMBEDDING_STATE,
        state.as_json(),
    )
    stored = await embedding_state(conn)
    assert stored is not None
    return stored


async def save_embedding_state(conn: Connection, state: EmbeddingState) -> None:
    await conn.execute(
        "UPDATE system_settings SET value = $2, updated_at = now() WHERE key = $1", EMBEDDING_STATE, state.as_json()
    )


class ActiveModelChanged(Exception):
    """A cut-over happened after the vector was made: embed again with the new model (reload first)."""


async def require_active_model(conn: Connection, model_id: str) -> None:
    """Inside a fact-writing transaction, before it writes a vector of model_id.

    Writers share the switch lock, the cut-over holds it alone: a vector written
    after a cut-over is checked against the new active model, so no fact slips in
    with only a vector of the old one.
    """
    await conn.execute("SELECT pg_advisory_xact_lock_shared($1, $2)", *SWITCH_LOCK)
    state = await embedding_state(conn)
    if state is not None and state.active_model_id != model_id:
        raise ActiveModelChanged(f"the active embedding model is now {state.active_model_id}")


async def lock_switch(conn: Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", *SWITCH_LOCK)
