"""The embedding model in use, as the database says: loaded at start, swapped without a restart.

The cluster's model lives in system_settings ("embedding.state"); the first process
seeds it from its MEMORY_EMBEDDING_* variables. Every process embeds queries and
new facts with the active model, and reloads when a cut-over notification
arrives. During a switch, workers also load the target model (target_embedder())
to re-embed facts; search keeps using the active model's vectors until the cut-over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from memory_service import runtime_settings
from memory_service.config import DEFAULT_EMBEDDING_MODEL, EmbeddingSettings, Settings
from memory_service.db import Database
from memory_service.db import system_settings as settings_sql
from memory_service.db.system_settings import EmbeddingState
from memory_service.domain import Vector
from memory_service.embeddings import open_embedder
from memory_service.embeddings.base import Priority
from memory_service.embeddings.batcher import BatchingEmbedder
from memory_service.secret_box import SecretBox

log = logging.getLogger(__name__)


def model_id_of(settings: EmbeddingSettings) -> str:
    """What is stored beside every vector: the local model's name, or provider:model[@dimensions]."""
    if settings.provider == "local":
        return settings.model
    suffix = f"@{settings.dimensions}" if settings.dimensions else ""
    return f"{settings.provider}:{settings.model}{suffix}"


class _Loaded:
    """An embedder and the context that closes it."""

    def __init__(self, embedder: BatchingEmbedder, stack: contextlib.AsyncExitStack) -> None:
        self.embedder = embedder
        self.stack = stack


class EmbeddingRuntime:
    """The Embedder every use case holds: it embeds with whatever model is active right now."""

    def __init__(self, db: Database, settings: Settings, *, preloaded_model: Any | None = None) -> None:
        self._db = db
        self._settings = settings
        self._box = SecretBox(settings.secrets_key, settings.environ)
        self._preloaded = preloaded_model
        self._active: _Loaded | None = None
        self._target: _Loaded | None = None
        self._state: EmbeddingState | None = None
        self._lock = asyncio.Lock()

    @property
    def box(self) -> SecretBox:
        return self._box

    @property
    def state(self) -> EmbeddingState:
        assert self._state is not None, "start() first"
        return self._state

    @property
    def model_id(self) -> str:
        return self.state.active_model_id

    @property
    def moving(self) -> bool:
        """After a cut-over, until every new vector sits in facts.embedding: search reads both places."""
        return self.state.moving

    @property
    def active(self) -> BatchingEmbedder:
        assert self._active is not None, "start() first"
        return self._active.embedder

    async def start(self) -> None:
        """Seeds the cluster's model from this process's settings on the first start, then loads the active one."""
        seed = runtime_settings.identity_from_environ(self._settings.environ)
        seed_settings = runtime_settings.embedding_settings(seed, self._settings.environ, self._box)
        async with self._db.connection() as conn:
            state = await settings_sql.seed_embedding_state(
                conn, EmbeddingState(active=seed, active_model_id=model_id_of(seed_settings))
            )
        if state.active_model_id != model_id_of(seed_settings):
            log.warning(
                "MEMORY_EMBEDDING_* ignored: the database's model is the cluster's; change it with AdminService",
                extra={"configured": model_id_of(seed_settings), "active": state.active_model_id},
            )
        self._state = state
        self._active = await self._load(state.active)

    async def reload(self) -> None:
        """Re-reads the state; a new active model is loaded before it replaces the old one."""
        async with self._lock:
            async with self._db.connection() as conn:
                state = await settings_sql.embedding_state(conn)
            if state is None or self._state is None:
                return
            previous, self._state = self._state, state
            if state.active_model_id != previous.active_model_id:
                if self._target is not None and state.active_model_id == previous.target_model_id:
                    loaded, self._target = self._target, None  # the worker's target is the new active
                else:
                    loaded = await self._load(state.active)
                old, self._active = self._active, loaded
                log.info("embedding model switched", extra={"model": state.active_model_id})
                if old is not None:
                    await old.stack.aclose()
            if self._target is not None and state.target_model_id != previous.target_model_id:
                target, self._target = self._target, None
                await target.stack.aclose()

    async def target_embedder(self) -> BatchingEmbedder | None:
        """The model being switched to, loaded on first use (workers only); None when no switch runs."""
        async with self._lock:
            state = self.state
            if state.target is None:
                return None
            if self._target is None:
                self._target = await self._load(state.target)
            return self._target.embedder

    async def embed(
        self,
        texts: Sequence[str],
        priority: Priority = Priority.INTERACTIVE,
        *,
        owner: str | None = None,
        deadline: float | None = None,
    ) -> list[Vector]:
        return await self.active.embed(texts, priority, owner=owner, deadline=deadline)

    def forget_owner(self, owner: str) -> int:
        dropped = self.active.forget_owner(owner)
        if self._target is not None:
            dropped += self._target.embedder.forget_owner(owner)
        return dropped

    def cached_texts(self) -> list[tuple[str, str]]:
        return self.active.cached_texts()

    async def aclose(self) -> None:
        for loaded in (self._target, self._active):
            if loaded is not None:
                await loaded.stack.aclose()
        self._target = self._active = None

    async def _load(self, identity: runtime_settings.Identity) -> _Loaded:
        settings = runtime_settings.embedding_settings(identity, self._settings.environ, self._box)
        # A model the caller already loaded (tests share one) is only ever the default model.
        preloaded = self._preloaded if settings.model == DEFAULT_EMBEDDING_MODEL else None
        stack = contextlib.AsyncExitStack()
        embedder = await stack.enter_async_context(
            open_embedder(settings, cache_dir=self._settings.model_cache_dir, preloaded_model=preloaded)
        )
        return _Loaded(embedder, stack)
