"""Use cases of AdminService's settings: read them with their sources, change them, switch the embedding model."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from memory_service import runtime_settings
from memory_service.config import Settings
from memory_service.db import Connection, Database
from memory_service.db import system_settings as settings_sql
from memory_service.db.control import announce_settings_changed
from memory_service.domain import ReembeddingProgress
from memory_service.embeddings.model_cache import CachedModel, list_cached, prune
from memory_service.embeddings.runtime import EmbeddingRuntime, model_id_of
from memory_service.errors import FailedPrecondition, FieldViolation, InvalidArgument
from memory_service.extraction.llm_runtime import LlmRuntime
from memory_service.extraction.reembedding import Reembedding
from memory_service.secret_box import SecretError

MAX_CHANGES = 64  # more settings than exist, with room: a longer list is not a settings change


class SystemSettingsService:
    def __init__(self, db: Database, settings: Settings, embedder: EmbeddingRuntime, llm: LlmRuntime) -> None:
        self._db = db
        self._settings = settings
        self._embedder = embedder
        self._llm = llm
        self._reembedding = Reembedding(db, embedder)

    async def describe(self) -> list[runtime_settings.SettingValue]:
        async with self._db.connection() as conn:
            stored = await settings_sql.llm_values(conn)
            state = await settings_sql.embedding_state(conn)
        desired = (state.target or state.active) if state else {}
        return runtime_settings.describe(stored, desired, {**self._settings.environ, **self._llm.base})

    async def update(self, values: Mapping[str, str], clear: Sequence[str]) -> list[runtime_settings.SettingValue]:
        """Checks every change first (one bad value stores nothing), then stores them in one transaction."""
        names = [*values, *clear]
        if len(names) > MAX_CHANGES:
            raise InvalidArgument(
                [FieldViolation("values", f"at most {MAX_CHANGES} settings per call, got {len(names)}")]
            )
        violations = []
        unknown = [name for name in names if name not in runtime_settings.SPECS]
        if unknown:  # named once each, shortened: the caller's text is echoed, never at length
            shown = ", ".join(repr(name[:64]) for name in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            known = ", ".join(runtime_settings.SPECS)
            violations.append(FieldViolation("values", f"unknown settings {shown}; known: {known}"))
        for name, value in values.items():
            spec = runtime_settings.SPECS.get(name)
            problem = runtime_settings.parse_value(spec, value) if spec and not spec.write_only else None
            if problem:
                violations.append(FieldViolation(f"values[{name}]", problem))
        for name in clear:
            if name.startswith("embedding."):
                violations.append(FieldViolation(name, "embedding settings cannot be cleared, only set to a new value"))
        if violations:
            raise InvalidArgument(violations)
        box = self._embedder.box
        try:
            sealed = {
                name: box.seal(value) if runtime_settings.SPECS[name].write_only else value.strip()
                for name, value in values.items()
            }
        except SecretError as exc:
            raise FailedPrecondition(str(exc), reason="SECRETS_KEY_MISSING") from exc

        async with self._db.transaction() as conn:
            stored = await settings_sql.llm_values(conn)
            llm_changes = {k: v for k, v in sealed.items() if k.startswith("llm.")}
            llm_clear = [k for k in clear if k.startswith("llm.")]
            proposed = {k: v for k, v in {**stored, **llm_changes}.items() if k not in llm_clear}
            problem = runtime_settings.check_llm(proposed, self._llm.base, box)
            if problem:
                raise InvalidArgument.field("values", problem)
            await settings_sql.store(conn, llm_changes, llm_clear)
            embedding_changes = {k: v for k, v in sealed.items() if k.startswith("embedding.")}
            if embedding_changes:
                await self._switch(conn, embedding_changes)
            await announce_settings_changed(conn)
        await asyncio.gather(self._llm.reload(), self._embedder.reload())
        return await self.describe()

    async def _switch(self, conn: Connection, changes: Mapping[str, Any]) -> None:
        """A new model becomes the switch's target; the active model with new endpoint details is updated in place."""
        await settings_sql.lock_switch(conn)
        state = await settings_sql.embedding_state(conn, for_update=True)
        assert state is not None  # seeded at start
        desired = {**(state.target or state.active), **changes}
        for name, value in changes.items():
            if value == "":
                desired.pop(name, None)
        problem = runtime_settings.check_embedding(desired, self._settings.environ, self._embedder.box)
        if problem:
            raise InvalidArgument.field("values", problem)
        model_id = model_id_of(runtime_settings.embedding_settings(desired, self._settings.environ, self._embedder.box))
        if model_id == state.active_model_id:
            updated = replace(state, active=desired, target=None, target_model_id=None)
        else:
            updated = replace(state, target=desired, target_model_id=model_id)
        await settings_sql.save_embedding_state(conn, updated)

    async def embedding_status(self) -> ReembeddingProgress:
        await self._embedder.reload()
        return await self._reembedding.status()

    async def cached_models(self) -> list[CachedModel]:
        return await asyncio.to_thread(
            list_cached, self._settings.model_cache_dir, self._models_in_use(), self._hf_cache()
        )

    async def prune_cached_models(self) -> tuple[list[CachedModel], int]:
        await self._embedder.reload()
        return await asyncio.to_thread(prune, self._settings.model_cache_dir, self._models_in_use(), self._hf_cache())

    def _hf_cache(self) -> Path | None:
        configured = self._settings.environ.get("HF_HUB_CACHE")
        return Path(configured) if configured else None

    def _models_in_use(self) -> set[str]:
        state = self._embedder.state
        identities = [state.active] + ([state.target] if state.target else [])
        return {str(identity.get("embedding.model", "all-MiniLM-L6-v2")) for identity in identities}
