"""Control messages between the service's processes over LISTEN/NOTIFY: forget a user's cache, reload settings.

Payloads carry ids only, never what users said. A notification is sent when the
transaction that wrote the change commits, so no process acts on a change that
rolled back.
"""

from __future__ import annotations

import json
from typing import Any

from memory_service.db.database import Connection

CONTROL_CHANNEL = "memory_control"
FORGET_USER = "forget_user"
SETTINGS_CHANGED = "settings_changed"
TOKENS_CHANGED = "tokens_changed"


async def announce_forgotten(conn: Connection, user_id: str) -> None:
    """Every process drops whatever it caches of this user (its texts' vectors)."""
    await _notify(conn, {"kind": FORGET_USER, "user_id": user_id})


async def announce_settings_changed(conn: Connection) -> None:
    """Every process reloads the runtime settings from the database."""
    await _notify(conn, {"kind": SETTINGS_CHANGED})


async def announce_tokens_changed(conn: Connection) -> None:
    """Every process drops its cache of authenticated tokens (one was revoked)."""
    await _notify(conn, {"kind": TOKENS_CHANGED})


def parse(payload: str) -> dict[str, Any]:
    try:
        message = json.loads(payload)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


async def _notify(conn: Connection, message: dict[str, Any]) -> None:
    await conn.execute("SELECT pg_notify($1, $2)", CONTROL_CHANNEL, json.dumps(message))
