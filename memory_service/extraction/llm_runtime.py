"""The extraction LLM in use: settings from the database over the environment, swapped without a restart."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memory_service import runtime_settings
from memory_service.config import ConfigError, LlmSettings
from memory_service.db import Database
from memory_service.db import system_settings as settings_sql
from memory_service.extraction.mem0_logic import Mem0Logic, load_mem0_logic
from memory_service.llm.chat import JsonChat
from memory_service.secret_box import SecretBox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Llm:
    """A chat client and Mem0's prompts: what LLM-mode extraction needs."""

    chat: JsonChat
    mem0: Mem0Logic


class LlmRuntime:
    """Holds the LLM the settings name right now (None: verbatim extraction) and rebuilds it when they change."""

    def __init__(self, db: Database | None, base: LlmSettings | None, box: SecretBox, *, mem0_dir: Path | None) -> None:
        self._db = db
        self.base = runtime_settings.llm_environ(base)  # the process's own settings, under the database's
        self._box = box
        self._mem0_dir = mem0_dir
        self._mem0: Mem0Logic | None = None
        self._settings: LlmSettings | None = None
        self._current: Llm | None = None
        self._retired: set[asyncio.Task[None]] = set()

    @property
    def current(self) -> Llm | None:
        return self._current

    @property
    def settings(self) -> LlmSettings | None:
        return self._settings

    async def start(self) -> None:
        await self.reload(strict=True)

    async def reload(self, *, strict: bool = False) -> None:
        """Applies the stored settings; bad ones are refused at start (strict) and otherwise logged and ignored."""
        stored: Mapping[str, Any] = {}
        if self._db is not None:
            async with self._db.connection() as conn:
                stored = await settings_sql.llm_values(conn)
        try:
            settings = runtime_settings.llm_settings(stored, self.base, self._box)
        except ConfigError:
            if strict:
                raise
            log.exception("LLM settings not applied")
            return
        if settings == self._settings and (settings is None) == (self._current is None):
            return
        if settings is not None and self._mem0 is None:
            self._mem0 = await asyncio.to_thread(load_mem0_logic, self._mem0_dir)  # once, off the loop
        old, self._settings = self._current, settings
        self._current = Llm(JsonChat(settings), self._mem0) if settings is not None and self._mem0 else None
        log.info("extraction LLM configured", extra={"model": settings.model if settings else None})
        if old is not None:  # calls in flight finish on the old client, then it is closed
            task = asyncio.create_task(self._close_later(old, old.chat.settings.timeout_seconds))
            self._retired.add(task)
            task.add_done_callback(self._retired.discard)

    async def aclose(self) -> None:
        for task in list(self._retired):
            task.cancel()
        if self._current is not None:
            await self._current.chat.aclose()

    @staticmethod
    async def _close_later(old: Llm, seconds: float) -> None:
        try:
            await asyncio.sleep(seconds)
        finally:
            await old.chat.aclose()
