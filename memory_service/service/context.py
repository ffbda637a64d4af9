"""The hot path: the facts most relevant to an utterance, rendered for the LLM prompt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from memory_service.db import Database
from memory_service.db import facts as facts_sql
from memory_service.domain import GLOBAL_AGENT, ScoredFact
from memory_service.embeddings import Priority
from memory_service.embeddings.runtime import EmbeddingRuntime
from memory_service.service.rendering import render_context
from memory_service.service.search_paths import SearchPaths
from memory_service.validation import DEFAULT_CONTEXT_LIMIT, MAX_CONTEXT_LIMIT, MAX_QUERY_LENGTH, RequestChecker


@dataclass(frozen=True)
class Context:
    facts: list[ScoredFact]
    rendered: str


class ContextService:
    def __init__(self, db: Database, embedder: EmbeddingRuntime) -> None:
        self._db = db
        self._embedder = embedder
        self._paths = SearchPaths()

    async def get_context(
        self,
        user_id: str,
        agent_id: str,
        query: str,
        *,
        limit: int,
        min_relevance: float,
        as_of: datetime | None = None,
        deadline: float | None = None,
    ) -> Context:
        """deadline: the time.monotonic() value by which the caller needs the answer; past it the embedder
        refuses the query at once (ResourceExhausted, OVERLOADED) rather than computing it late."""
        check = RequestChecker()
        check.identifier("user_id", user_id)
        check.identifier("agent_id", agent_id, required=False)
        query = check.text("query", query, max_length=MAX_QUERY_LENGTH, required=True)
        limit = check.bounded_count(
            "limit", limit, default=DEFAULT_CONTEXT_LIMIT, maximum=MAX_CONTEXT_LIMIT, clamp=False
        )
        if not 0.0 <= min_relevance <= 1.0:
            check.fail("min_relevance", f"must be between 0 and 1, got {min_relevance}")
        as_of = check.past_time("as_of", as_of)
        check.raise_if_invalid()

        [vector] = await self._embedder.embed([query], Priority.INTERACTIVE, owner=user_id, deadline=deadline)
        model = self._embedder.model_id
        moving = self._embedder.moving
        async with self._db.connection() as conn:
            # Heavy users are ranked over the HNSW index's candidates (current facts, vectors in place).
            candidates = None if as_of is not None or moving else await self._paths.candidates(conn, user_id, model)
            facts = await facts_sql.search(
                conn,
                user_id,
                agent_ids=(GLOBAL_AGENT, agent_id) if agent_id else (GLOBAL_AGENT,),
                query_vector=vector,
                query_text=query,
                embedding_model=model,
                limit=limit,
                min_relevance=min_relevance,
                as_of=as_of,
                moving=moving,
                candidates=candidates,
            )
        return Context(facts, render_context(facts))
