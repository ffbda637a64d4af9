"""Mem0's extraction prompts and answer parsing, imported with Mem0's telemetry switched off.

We use Mem0 for what it is good at: the fact-extraction prompt, the
ADD/UPDATE/DELETE/NONE reconciliation prompt, and the recovery of JSON from
chatty LLM answers (mem0ai is pinned in pyproject.toml). Mem0's Memory class,
its SQLite history and its vector stores are never instantiated: PostgreSQL
stays the only store of user data.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

# Mem0 formats "Today's date is ..." into its prompts once, when the module is imported.
_TODAY_LINE = re.compile(r"Today's date is \d{4}-\d{2}-\d{2}\.")


def disable_mem0_phone_home(mem0_dir: Path | None = None) -> None:
    """Must run before mem0 is first imported: it reads these at import time."""
    os.environ["MEM0_TELEMETRY"] = "False"
    if mem0_dir is not None:
        mem0_dir.mkdir(parents=True, exist_ok=True)
        os.environ["MEM0_DIR"] = str(mem0_dir)


@dataclass(frozen=True)
class Mem0Logic:
    """The pieces of Mem0 the extraction uses, behind names that say what they do."""

    _fact_messages: Any
    _update_prompt: Any
    _parse_messages: Any
    _normalize_facts: Any
    _remove_code_blocks: Any
    _extract_json: Any

    def fact_extraction_prompt(self, user_message: str, ai_response: str, today: date) -> tuple[str, str]:
        """(system, user) prompts asking for {"facts": [...]} about the user, dated `today`."""
        turn = [{"role": "user", "content": user_message}]
        if ai_response:
            turn.append({"role": "assistant", "content": ai_response})
        system, user = self._fact_messages(self._parse_messages(turn), is_agent_memory=False)
        system = _TODAY_LINE.sub(f"Today's date is {today.isoformat()}.", str(system))
        return system, str(user)

    def reconciliation_prompt(self, existing: Sequence[tuple[str, str]], new_facts: Sequence[str]) -> str:
        """The prompt asking which new facts to ADD and which existing ones to UPDATE or DELETE.

        existing holds (short id, text) pairs: Mem0 maps UUIDs to small integers so
        the LLM cannot hallucinate ids.
        """
        old_memory = [{"id": short_id, "text": text} for short_id, text in existing]
        return str(self._update_prompt(old_memory, list(new_facts)))

    def parse_answer(self, content: str) -> dict[str, Any]:
        """Mem0's recovery of a JSON object from an answer wrapped in code fences or prose."""
        text = self._remove_code_blocks(content)
        if not text.strip():
            return {}
        try:
            parsed = json.loads(text, strict=False)
        except json.JSONDecodeError:
            parsed = json.loads(self._extract_json(text), strict=False)
        if not isinstance(parsed, dict):
            raise ValueError("not a JSON object")
        return parsed

    def facts_of(self, answer: dict[str, Any]) -> list[str]:
        raw = answer.get("facts", [])
        if not isinstance(raw, list):
            raise ValueError("'facts' is not a list")
        return [str(fact) for fact in self._normalize_facts(raw)]


def load_mem0_logic(mem0_dir: Path | None = None) -> Mem0Logic:
    """Imports Mem0 (a second or so; once per process, at start, never on the request path)."""
    disable_mem0_phone_home(mem0_dir)
    from mem0.configs.prompts import get_update_memory_messages
    from mem0.memory.utils import (
        extract_json,
        get_fact_retrieval_messages,
        normalize_facts,
        parse_messages,
        remove_code_blocks,
    )

    return Mem0Logic(
        _fact_messages=get_fact_retrieval_messages,
        _update_prompt=get_update_memory_messages,
        _parse_messages=parse_messages,
        _normalize_facts=normalize_facts,
        _remove_code_blocks=remove_code_blocks,
        _extract_json=extract_json,
    )
