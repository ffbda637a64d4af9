"""Heavy users: the HNSW index is built when some user needs it, and their facts are ranked over its candidates.

ranking.ANN_MIN_FACTS is lowered for the test (20,000 in production) so a user of
sixty facts counts as heavy; everything else is the service as it runs.
"""

from __future__ import annotations

import pytest
from voxbridge.memory.v1 import memory_service_pb2 as pb

from memory_service.db import ann as ann_sql
from memory_service.db import facts as facts_sql
from memory_service.db import ranking
from memory_service.extraction.ann_index import AnnIndex
from memory_service.service.search_paths import SearchPaths
from tests.support.harness import Service
from tests.support.rpc import new_fact

SUBJECTS = ["sister", "dog", "job", "car", "garden", "flat", "holiday", "football", "piano", "bakery"]
DETAILS = ["loves", "hates", "talked about", "worried about", "laughed at", "fixed"]


def heavy_texts() -> list[str]:
    return [
        f"Today my friend {d} the {s}, number {i}."
        for i, (s, d) in enumerate(zip(SUBJECTS * 6, DETAILS * 10, strict=True))
    ]


async def test_a_heavy_user_is_ranked_over_the_index_candidates(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ranking, "ANN_MIN_FACTS", 50)
    stub, db, model = service.stub, service.core.db, service.core.embedder.model_id
    index = AnnIndex(db, service.core.embedder)
    await stub.CreateFact(new_fact("small", text="My sister is called Julia."))
    assert not await index.run_once(force=True)  # nobody is heavy: no index

    for text in [*heavy_texts(), "My sister Julia works as a paediatric nurse in Leeds."]:
        await stub.CreateFact(new_fact("heavy", text=text))
    assert await index.run_once(force=True)
    assert not await index.run_once(force=True)  # built once
    async with db.connection() as conn:
        assert await ann_sql.index_dimensions(conn, model) == 384
        paths = SearchPaths()
        assert await paths.candidates(conn, "small", model) is None
        assert await paths.candidates(conn, "heavy", model) == (384, 61)
        query = "what does my sister do for a living?"
        [vector] = await service.core.embedder.embed([query])
        exact = await facts_sql.search(
            conn, "heavy", agent_ids=[""], query_vector=vector, query_text=query, embedding_model=model,
            limit=5, min_relevance=0,
        )  # fmt: skip
        plan = "\n".join(
            r[0]
            for r in await conn.fetch(
                "EXPLAIN " + ranking.ann_search_sql(model, 384), "heavy", [""], vector, query, 5, 0.0, 61
            )
        )
        assert ranking.ann_index_name(model, 384) in plan

    found = await stub.GetContext(pb.GetContextRequest(user_id="heavy", query=query, limit=5))
    assert found.facts[0].fact.text == exact[0].fact.text == "My sister Julia works as a paediatric nurse in Leeds."
    assert found.facts[0].relevance > 0.5
    relevances = [s.relevance for s in found.facts]
    assert relevances == sorted(relevances, reverse=True)
    small = await stub.GetContext(pb.GetContextRequest(user_id="small", query="what's my sister called?"))
    assert small.facts[0].fact.text == "My sister is called Julia."
