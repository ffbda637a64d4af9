"""Turns a conversation turn into an extraction plan: which facts to add, update, supersede or skip.

Planning reads but never writes; the worker applies a plan in one transaction,
and PreviewExtraction returns it as a dry run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import numpy as np

from memory_service.db import Database
from memory_service.db import facts as facts_sql
from memory_service.db import users as users_sql
from memory_service.domain import (
    GLOBAL_AGENT,
    ExtractionMode,
    ExtractionPlan,
    Fact,
    FactDraft,
    FactSource,
    MemoryScope,
    PlannedAction,
    PlannedChange,
    Turn,
    Vector,
)
from memory_service.embeddings import Priority
from memory_service.embeddings.runtime import EmbeddingRuntime
from memory_service.extraction.duplicates import is_paraphrase, normalized, same_statement
from memory_service.extraction.llm_runtime import Llm, LlmRuntime
from memory_service.extraction.relevance import skip_reason
from memory_service.llm.chat import LlmError, LlmFailure
from memory_service.validation import DEFAULT_IMPORTANCE, MAX_TEXT_LENGTH

log = logging.getLogger(__name__)

MAX_FACTS_PER_TURN = 20
# Existing facts shown to the LLM for reconciliation (Mem0 uses 10 as well).
RECONCILE_CANDIDATES = 10
SIMILAR_PER_FACT = 5


@dataclass(frozen=True)
class Scope:
    """Where a turn's facts are written, and which facts count as already known."""

    write_agent_id: str
    visible_agent_ids: tuple[str, ...]


class ExtractionPlanner:
    def __init__(
        self, db: Database, embedder: EmbeddingRuntime, llm: LlmRuntime, *, duplicate_threshold: float
    ) -> None:
        self._db = db
        self._embedder = embedder
        self._llm = llm
        self._duplicate_threshold = duplicate_threshold

    @property
    def mode(self) -> ExtractionMode:
        return ExtractionMode.LLM if self._llm.current is not None else ExtractionMode.VERBATIM

    async def reload_embedder(self) -> None:
        await self._embedder.reload()

    async def plan(self, turn: Turn, *, task_id: UUID | None = None) -> ExtractionPlan:
        llm = self._llm.current  # one LLM for the whole plan, even if the settings change meanwhile
        mode = ExtractionMode.LLM if llm is not None else ExtractionMode.VERBATIM
        reason = skip_reason(turn.user_message)
        if reason is not None:
            return ExtractionPlan(mode, (), skipped_reason=reason)
        scope = await self._scope(turn)
        if llm is None:
            texts = [_clip(turn.user_message)]
        else:
            texts = await self._extract_facts(llm, turn)
        return await self._reconcile(llm, turn, scope, texts, task_id)

    async def _scope(self, turn: Turn) -> Scope:
        if not turn.agent_id:
            return Scope(GLOBAL_AGENT, (GLOBAL_AGENT,))
        async with self._db.connection() as conn:
            agent = await users_sql.get_agent(conn, turn.agent_id)
        if agent is not None and agent.memory_scope is MemoryScope.AGENT:
            return Scope(turn.agent_id, (GLOBAL_AGENT, turn.agent_id))
        return Scope(GLOBAL_AGENT, (GLOBAL_AGENT, turn.agent_id))

    async def _extract_facts(self, llm: Llm, turn: Turn) -> list[str]:
        # "Today" for the LLM is the day the turn was said: "yesterday" in an imported turn means its yesterday.
        said_on = (turn.occurred_at or datetime.now(UTC)).date()
        system, user = llm.mem0.fact_extraction_prompt(turn.user_message, turn.ai_response, said_on)
        answer = await llm.chat.complete_json(
            [{"role": "system", "content": system}, {"role": "user", "content": user}], parse=llm.mem0.parse_answer
        )
        try:
            raw_facts = llm.mem0.facts_of(answer)
        except ValueError as exc:
            raise LlmError(f"LLM answer had no usable facts list ({exc})", failure=LlmFailure.BAD_ANSWER) from exc
        facts: dict[str, str] = {}  # by normalized text: the same fact twice in one answer counts once
        for fact in raw_facts:
            cleaned = _clip(fact.replace("\x00", ""))
            if cleaned and normalized(cleaned) not in facts:
                facts[normalized(cleaned)] = cleaned
        return list(facts.values())[:MAX_FACTS_PER_TURN]

    async def _reconcile(
        self, llm: Llm | None, turn: Turn, scope: Scope, texts: list[str], task_id: UUID | None
    ) -> ExtractionPlan:
        mode = ExtractionMode.LLM if llm is not None else ExtractionMode.VERBATIM
        if not texts:
            return ExtractionPlan(mode, ())
        vectors = await self._embedder.embed(texts, Priority.BACKGROUND, owner=turn.user_id)
        changes: list[PlannedChange] = []
        fresh: list[tuple[str, Vector]] = []
        candidates: dict[UUID, Fact] = {}
        async with self._db.connection() as conn:
            for text, vector in zip(texts, vectors, strict=True):
                similar = await facts_sql.similar_current(
                    conn,
                    turn.user_id,
                    agent_ids=scope.visible_agent_ids,
                    vector=vector,
                    embedding_model=self._embedder.model_id,
                    limit=SIMILAR_PER_FACT,
                    moving=self._embedder.moving,
                )
                duplicate = next((s.fact for s in similar if self._repeats(llm, text, s.fact.text, s.relevance)), None)
                repeats_turn = any(self._repeats(llm, text, seen, _cosine(vector, v)) for seen, v in fresh)
                if duplicate is not None or repeats_turn:
                    changes.append(PlannedChange(PlannedAction.SKIP_DUPLICATE, None, duplicate))
                    continue
                fresh.append((text, vector))
                for scored in similar:
                    if scored.fact.agent_id == scope.write_agent_id:
                        candidates.setdefault(scored.fact.id, scored.fact)

        # Only the LLM decides that a statement replaces another: verbatim mode closes nothing.
        if llm is not None and candidates and fresh:
            decisions = await self._ask_llm_to_reconcile(llm, list(candidates.values())[:RECONCILE_CANDIDATES], fresh)
        else:
            decisions = [(PlannedAction.ADD, text, None) for text, _ in fresh]

        fresh_vectors = {text: vector for text, vector in fresh}
        to_embed = [
            text for action, text, _ in decisions if action is not PlannedAction.SUPERSEDE and text not in fresh_vectors
        ]
        new_vectors = dict(
            zip(to_embed, await self._embedder.embed(to_embed, Priority.BACKGROUND, owner=turn.user_id), strict=True)
        )
        for action, text, existing in decisions:
            if action is PlannedAction.SUPERSEDE:
                changes.append(PlannedChange(action, None, existing))
                continue
            if existing is not None and same_statement(existing.text, text):
                changes.append(PlannedChange(PlannedAction.SKIP_DUPLICATE, None, existing))
                continue
            draft = self._draft(turn, scope, text, fresh_vectors.get(text, new_vectors.get(text)), task_id)
            changes.append(PlannedChange(action, draft, existing))
        return ExtractionPlan(mode, tuple(changes))

    def _repeats(self, llm: Llm | None, new_text: str, known_text: str, similarity: float) -> bool:
        """Verbatim mode skips the same statement only; with an LLM, paraphrases are repeats too."""
        if llm is None:
            return same_statement(new_text, known_text)
        return is_paraphrase(new_text, known_text, similarity, self._duplicate_threshold)

    async def _ask_llm_to_reconcile(
        self, llm: Llm, existing: list[Fact], fresh: list[tuple[str, Vector]]
    ) -> list[tuple[PlannedAction, str, Fact | None]]:
        short_ids = {str(index): fact for index, fact in enumerate(existing)}
        prompt = llm.mem0.reconciliation_prompt([(i, f.text) for i, f in short_ids.items()], [t for t, _ in fresh])
        answer = await llm.chat.complete_json([{"role": "user", "content": prompt}], parse=llm.mem0.parse_answer)
        entries = answer.get("memory", [])
        if not isinstance(entries, list):
            raise LlmError("LLM reconciliation answer had no 'memory' list", failure=LlmFailure.BAD_ANSWER)
        decisions: list[tuple[PlannedAction, str, Fact | None]] = []
        seen_texts: set[str] = set()
        touched: set[UUID] = set()
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            event = str(entry.get("event", "")).upper()
            text = _clip(str(entry.get("text", "")).replace("\x00", ""))
            target = short_ids.get(str(entry.get("id", "")))
            if target is not None and target.id in touched:
                continue  # one decision per existing fact
            if event == "DELETE" and target is not None:
                decisions.append((PlannedAction.SUPERSEDE, target.text, target))
            elif event == "UPDATE" and text and target is not None and not same_statement(text, target.text):
                decisions.append((PlannedAction.UPDATE, text, target))
            elif event in ("ADD", "UPDATE") and text and target is None and normalized(text) not in seen_texts:
                # An UPDATE of an id we never showed is a new fact, not an edit of a guess.
                decisions.append((PlannedAction.ADD, text, None))
            else:
                continue  # NONE, or an unusable entry
            seen_texts.add(normalized(text))
            if target is not None:
                touched.add(target.id)
        return decisions

    def _draft(self, turn: Turn, scope: Scope, text: str, vector: Vector | None, task_id: UUID | None) -> FactDraft:
        assert vector is not None  # every stored text was embedded above
        # Extracted facts are plain statements: no key, so only an LLM decision ever closes them.
        return FactDraft(
            user_id=turn.user_id,
            agent_id=scope.write_agent_id,
            fact_key="",
            fact_value="",
            text=text,
            importance=DEFAULT_IMPORTANCE,
            source=FactSource.EXTRACTED,
            embedding=vector,
            embedding_model=self._embedder.model_id,
            source_task_id=task_id,
            valid_from=turn.occurred_at,
            session_id=turn.session_id,
        )


def _clip(text: str) -> str:
    """Trims a text to the fact length limit, at a word boundary when one is near."""
    text = " ".join(text.split())
    if len(text) <= MAX_TEXT_LENGTH:
        return text
    cut = text[:MAX_TEXT_LENGTH]
    space = cut.rfind(" ")
    return cut[:space] if space > MAX_TEXT_LENGTH - 200 else cut


def _cosine(a: Vector, b: Vector) -> float:
    denominator = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.dot(a, b)) / denominator if denominator else 0.0
