"""Mem0's prompts as we send them: dated the day the turn was said, not the day Mem0 was imported."""

from __future__ import annotations

from datetime import date

from memory_service.extraction.mem0_logic import load_mem0_logic


def test_the_fact_prompt_carries_the_date_of_the_call() -> None:
    logic = load_mem0_logic()
    for day in (date(2031, 5, 6), date(2019, 12, 31)):
        system, user = logic.fact_extraction_prompt("I start my new job tomorrow", "Good luck!", day)
        assert f"Today's date is {day.isoformat()}." in system
        assert system.count("Today's date is") == 1
        assert "user: I start my new job tomorrow" in user
