"""The fused ranking on small fixed examples, through GetContext: rare words, the next turn, dates, relevance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.harness import Service
from tests.support.rpc import new_fact


def at(when: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return stamp


async def remember(
    service: Service, user: str, texts: list[str], *, session: str = "", start: datetime | None = None
) -> None:
    """Facts said one minute apart (a conversation when session is given), oldest first."""
    start = start or datetime(2024, 5, 2, 18, 0, tzinfo=UTC)
    for i, text in enumerate(texts):
        fact = new_fact(user, text=text, session_id=session, valid_from=at(start + timedelta(minutes=i)))
        await service.stub.CreateFact(fact)


async def top(service: Service, user: str, query: str, limit: int = 10) -> list[pb.ScoredFact]:
    found = await service.stub.GetContext(pb.GetContextRequest(user_id=user, query=query, limit=limit))
    return list(found.facts)


async def test_a_rare_word_said_once_beats_facts_that_only_sound_alike(service: Service) -> None:
    await remember(
        service,
        "rare",
        [
            "I parked the car outside the house last night.",
            "Parking near the station is always a nightmare.",
            "The car park at work is being resurfaced.",
            "I left the car in the multi-storey by the shops.",
            "My brother never remembers where he parks.",
            "Left my bike at the Quarrington depot this morning.",
            "We had pasta for dinner.",
            "I need to renew my parking permit.",
        ],
    )
    found = await top(service, "rare", "where did I leave it at Quarrington?")
    assert found[0].fact.text == "Left my bike at the Quarrington depot this morning."


async def test_the_answer_said_just_after_a_matching_question_is_lifted(service: Service) -> None:
    other_talk = [
        "My sister always burns the toast.",
        "Work was busy today.",
        "The dog chewed my slipper.",
        "We went to the cinema on Friday.",
        "I'm thinking of learning the piano.",
        "We ordered a takeaway.",
        "The train was late again.",
        "I finally fixed the leaky tap.",
    ]
    lead_in = ["I'm off to my sister's place this weekend.", "Oh nice, what's your sister called?"]
    later = datetime(2024, 5, 9, 18, 0, tzinfo=UTC)
    # "answered": the name is the reply to the question; "apart": the same words, the name said days later.
    await remember(service, "answered", [*lead_in, "Julia.", "She lives out by the coast."], session="s1")
    await remember(service, "answered", other_talk, session="s2", start=later)
    await remember(service, "apart", [*lead_in, "She lives out by the coast."], session="s1")
    await remember(service, "apart", [*other_talk, "Julia."], session="s2", start=later)

    async def rank_of_answer(user: str) -> int:
        found = await top(service, user, "what's my sister's name?", limit=20)
        return [s.fact.text for s in found].index("Julia.")

    answered, apart = await rank_of_answer("answered"), await rank_of_answer("apart")
    assert answered < 5 and answered < apart, (answered, apart)


async def test_a_date_question_finds_what_was_said_that_day(service: Service) -> None:
    for day, text in [
        (datetime(2024, 3, 9, 20, 0, tzinfo=UTC), "Saw a brilliant band at the Roundhouse tonight."),
        (datetime(2024, 4, 13, 20, 0, tzinfo=UTC), "Saw a great band at the Jazz Cafe tonight."),
        (datetime(2024, 5, 18, 20, 0, tzinfo=UTC), "Saw a loud band at the Forum tonight."),
        (datetime(2024, 6, 22, 20, 0, tzinfo=UTC), "Saw an old favourite band at Brixton tonight."),
    ]:
        await remember(service, "dates", [text], start=day)
    found = await top(service, "dates", "which band did I see on March 9th?", limit=1)
    assert found[0].fact.text == "Saw a brilliant band at the Roundhouse tonight."


async def test_relevance_means_the_same_for_a_user_with_three_facts(service: Service) -> None:
    await remember(
        service,
        "small",
        [
            "My sister is called Julia.",
            "I work as a paediatric nurse.",
            "Our dog Biscuit is a golden retriever.",
        ],
    )
    strong = await top(service, "small", "what's my sister's name?")
    assert strong[0].fact.text == "My sister is called Julia."
    assert strong[0].relevance > 0.5
    for utterance in ("what's the weather like", "tell me a joke"):
        off_topic = await top(service, "small", utterance)
        assert off_topic[0].relevance < 0.3, (utterance, off_topic[0].relevance)
        assert off_topic[0].relevance < strong[0].relevance / 2
    relevances = [s.relevance for s in strong]
    assert relevances == sorted(relevances, reverse=True)  # printed capped: min_relevance cuts a prefix
