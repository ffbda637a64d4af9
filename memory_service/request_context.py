"""What belongs to the call being served, per task (ContextVars): its request id for logs, its deadline."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
# time.monotonic() by which the caller stops waiting; None outside a call. Bounds waits for a pooled connection.
call_deadline: ContextVar[float | None] = ContextVar("call_deadline", default=None)
