"""The request id of the call being served, for logs (a ContextVar: each call's task has its own)."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
