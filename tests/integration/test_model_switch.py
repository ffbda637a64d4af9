"""Switching the embedding model never breaks search: old vectors serve until the new ones are complete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from voxbridge.memory.v1 import admin_pb2, admin_pb2_grpc, extraction_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from memory_service.app import open_core
from memory_service.db import ranking
from memory_service.extraction.ann_index import AnnIndex
from memory_service.extraction.reembedding import Reembedding
from tests.support.database import events_numbered
from tests.support.fake_embeddings import FakeEmbeddings
from tests.support.harness import Service, make_settings, running_service
from tests.support.rpc import new_fact, rpc_failure

MINILM = "all-MiniLM-L6-v2"


def sql(database_url: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(query).fetchall()


async def status(service: Service) -> extraction_pb2.ReembeddingProgress:
    stub = admin_pb2_grpc.AdminServiceStub(service.channel)
    return await stub.GetEmbeddingStatus(admin_pb2.GetEmbeddingStatusRequest())


async def top_texts(service: Service, user: str, query: str) -> list[str]:
    found = await service.stub.GetContext(pb.GetContextRequest(user_id=user, query=query, limit=2))
    return [s.fact.text for s in found.facts]


async def test_a_switch_to_a_remote_model_keeps_search_serving_then_cuts_over(
    service: Service, database_url: str
) -> None:
    stub = service.stub
    for text in ("Has a cat named Tom", "Works as a nurse", "Lives in Lisbon"):
        await stub.CreateFact(new_fact("alice", text=text))
    await stub.CreateFact(new_fact("bob", text="Has a dog named Rex"))
    await stub.CreateFact(new_fact("alice", fact_key="city", fact_value="Porto"))  # a closed version too
    await stub.CreateFact(new_fact("alice", fact_key="city", fact_value="Faro"))
    before = await status(service)
    assert (before.active_model, before.target_model, before.completed) == (MINILM, "", True)

    with FakeEmbeddings(dimensions=48) as remote:
        admin = admin_pb2_grpc.AdminServiceStub(service.channel)
        await admin.UpdateSystemSettings(
            admin_pb2.UpdateSystemSettingsRequest(
                values={
                    "embedding.provider": "openai",
                    "embedding.model": "fake-embed",
                    "embedding.base_url": remote.base_url,
                }
            )
        )
        switching = await status(service)
        assert (switching.active_model, switching.target_model) == (MINILM, "openai:fake-embed")
        assert (switching.facts_done, switching.facts_total, switching.completed) == (0, 5, False)

        # Search keeps answering from the old model all along, and writes go on.
        assert (await top_texts(service, "alice", "my cat"))[0] == "Has a cat named Tom"
        await stub.CreateFact(new_fact("alice", text="Plays the cello"))

        reembedding = Reembedding(service.core.db, service.core.embedder)
        written = await reembedding.run_once()  # one worker's maintenance round: re-embeds all, then cuts over
        assert written == 7  # every version, closed ones included
        after = await status(service)
        assert (after.active_model, after.target_model, after.completed) == ("openai:fake-embed", "", True)
        assert after.facts_done == after.facts_total == 6
        assert service.core.embedder.model_id == "openai:fake-embed"

        # Right after the cut-over the new vectors still sit beside the facts: search reads them there.
        queries_before = len(remote.texts_embedded())
        assert (await top_texts(service, "alice", "my cat"))[0] == "Has a cat named Tom"
        assert len(remote.texts_embedded()) == queries_before + 1  # the query went to the new model

        moved = await reembedding.run_once()
        assert moved == 7 and await reembedding.run_once() == 0
        assert sql(database_url, "SELECT count(*) FROM fact_embeddings") == [(0,)]
        models = sql(database_url, "SELECT DISTINCT embedding_model, vector_dims(embedding) FROM facts")
        assert models == [("openai:fake-embed", 48)]  # another dimension, no table rebuilt
        assert (await top_texts(service, "alice", "what pet do I have, a cat?"))[0] == "Has a cat named Tom"
        assert (await top_texts(service, "bob", "my dog"))[0] == "Has a dog named Rex"

    await events_numbered(database_url)
    events = sql(
        database_url,
        "SELECT user_id, payload->'reembedding'->>'completed' FROM memory_events WHERE type = 'reembedding'",
    )
    assert events and all(user is None for user, _ in events) and ("true" in {done for _, done in events})


async def test_the_query_cache_does_not_outlive_the_model(service: Service) -> None:
    await service.stub.CreateFact(new_fact("alice", text="Has a cat named Tom"))
    await top_texts(service, "alice", "my cat")
    assert ("alice", "my cat") in service.core.embedder.cached_texts()
    with FakeEmbeddings(dimensions=32) as remote:
        admin = admin_pb2_grpc.AdminServiceStub(service.channel)
        await admin.UpdateSystemSettings(
            admin_pb2.UpdateSystemSettingsRequest(
                values={"embedding.provider": "openai", "embedding.model": "e", "embedding.base_url": remote.base_url}
            )
        )
        await Reembedding(service.core.db, service.core.embedder).run_once()
        assert service.core.embedder.model_id == "openai:e"
        assert service.core.embedder.cached_texts() == []  # a vector of the old model is never served again


async def test_processes_configured_with_another_model_follow_the_database(
    service: Service, database_url: str, tmp_path: Path, sentence_model: Any
) -> None:
    other = make_settings(database_url, tmp_path, MEMORY_EMBEDDING_MODEL="some-other-model")
    async with open_core(other, preloaded_model=sentence_model) as core:
        assert core.embedder.model_id == MINILM  # not its own: no tug of war over the facts' vectors
        assert core.embedder.state.target is None


async def test_azure_embeddings_through_the_real_client(database_url: str, tmp_path: Path, sentence_model: Any) -> None:
    settings = make_settings(database_url, tmp_path, AZURE_EMBEDDING_KEY="azure-key-1")
    async with running_service(settings, sentence_model) as service:
        await service.stub.CreateFact(new_fact("alice", text="Has a cat named Tom"))
        with FakeEmbeddings(dimensions=16) as remote:
            admin = admin_pb2_grpc.AdminServiceStub(service.channel)
            without_key = await rpc_failure(
                admin.UpdateSystemSettings(
                    admin_pb2.UpdateSystemSettingsRequest(
                        values={"embedding.provider": "azure", "embedding.base_url": remote.azure_endpoint}
                    )
                )
            )
            assert "MEMORY_EMBEDDING_API_KEY is required" in without_key.message
            await admin.UpdateSystemSettings(
                admin_pb2.UpdateSystemSettingsRequest(
                    values={
                        "embedding.provider": "azure",
                        "embedding.model": "my-embedding-deployment",
                        "embedding.base_url": remote.azure_endpoint,
                        "embedding.api_key": "env:AZURE_EMBEDDING_KEY",
                    }
                )
            )
            await Reembedding(service.core.db, service.core.embedder).run_once()
            [request] = remote.requests
            assert request["path"].startswith("/openai/deployments/my-embedding-deployment/embeddings?api-version=")
            assert request["headers"]["api-key"] == "azure-key-1"
            assert service.core.embedder.model_id == "azure:my-embedding-deployment"


def fake_hub_repo(cache: Path, repo_id: str, payload: bytes) -> None:
    """A model as huggingface_hub lays it out in its cache (blobs, a snapshot, a ref)."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    (repo / "blobs").mkdir(parents=True)
    (repo / "blobs" / "abc123").write_bytes(payload)
    snapshot = repo / "snapshots" / "0123456789abcdef"
    snapshot.mkdir(parents=True)
    (snapshot / "model.safetensors").symlink_to(repo / "blobs" / "abc123")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123456789abcdef")


async def test_the_model_cache_is_listed_and_pruned_of_unused_models(
    database_url: str, tmp_path: Path, sentence_model: Any
) -> None:
    hub = tmp_path / "hub"
    fake_hub_repo(hub, "sentence-transformers/all-MiniLM-L6-v2", b"x" * 1000)
    fake_hub_repo(hub, "BAAI/bge-small-en-v1.5", b"y" * 5000)
    settings = make_settings(database_url, tmp_path / "data", HF_HUB_CACHE=str(hub))
    onnx = settings.model_cache_dir / "old-model-0badc0ffee"
    onnx.mkdir(parents=True)
    (onnx / "manifest.json").write_text('{"model": "old-model"}')
    (onnx / "model.onnx").write_bytes(b"z" * 300)
    async with running_service(settings, sentence_model) as service:
        admin = admin_pb2_grpc.AdminServiceStub(service.channel)
        listed = await admin.ListCachedModels(admin_pb2.ListCachedModelsRequest())
        by_name = {m.name: m for m in listed.models}
        assert by_name["sentence-transformers/all-MiniLM-L6-v2"].in_use
        assert not by_name["BAAI/bge-small-en-v1.5"].in_use and by_name["BAAI/bge-small-en-v1.5"].size_bytes == 5000
        assert not by_name["old-model (ONNX export)"].in_use and by_name["old-model (ONNX export)"].files == 2

        pruned = await admin.PruneCachedModels(admin_pb2.PruneCachedModelsRequest())
        assert [m.name for m in pruned.models] == ["sentence-transformers/all-MiniLM-L6-v2"]
        assert pruned.freed_bytes == 5000 + 300 + len('{"model": "old-model"}')
        assert not onnx.exists() and not (hub / "models--BAAI--bge-small-en-v1.5").exists()


async def test_a_switch_builds_the_new_models_hnsw_index_and_drops_the_old_one(
    service: Service, database_url: str, monkeypatch: Any
) -> None:
    monkeypatch.setattr(ranking, "ANN_MIN_FACTS", 3)  # alice's four facts make her a heavy user
    for text in ("Has a cat named Tom", "Works as a nurse", "Lives in Lisbon", "Plays the cello"):
        await service.stub.CreateFact(new_fact("alice", text=text))
    index = AnnIndex(service.core.db, service.core.embedder)

    def hnsw_indexes() -> list[str]:
        return [r[0] for r in sql(database_url, "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'facts_hnsw_%'")]

    assert await index.run_once(force=True)
    assert hnsw_indexes() == [ranking.ann_index_name(MINILM, 384)]

    with FakeEmbeddings(dimensions=48) as remote:
        admin = admin_pb2_grpc.AdminServiceStub(service.channel)
        await admin.UpdateSystemSettings(
            admin_pb2.UpdateSystemSettingsRequest(
                values={
                    "embedding.provider": "openai",
                    "embedding.model": "fake-embed",
                    "embedding.base_url": remote.base_url,
                }
            )
        )
        reembedding = Reembedding(service.core.db, service.core.embedder)
        await reembedding.run_once()  # cut over: the new model is active, its vectors beside the facts
        assert service.core.embedder.model_id == "openai:fake-embed"
        assert not await index.run_once(force=True)  # nothing of the new model in facts.embedding yet
        await reembedding.run_once()  # moved
        assert await index.run_once(force=True)
        new = ranking.ann_index_name("openai:fake-embed", 48)
        assert set(hnsw_indexes()) == {ranking.ann_index_name(MINILM, 384), new}
        await reembedding.run_once()  # nothing left to move: the switch is over
        await service.core.embedder.reload()
        assert not service.core.embedder.moving
        assert not await index.run_once(force=True)  # the old model's index goes
        assert hnsw_indexes() == [new]
        assert (await top_texts(service, "alice", "my cat"))[0] == "Has a cat named Tom"
