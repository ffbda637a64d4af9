"""Embeddings from an OpenAI-compatible endpoint, over real HTTP: base64 answers and float-list answers alike."""

from __future__ import annotations

import numpy as np
import pytest

from memory_service.config import Settings
from memory_service.embeddings.remote import RemoteEmbeddings
from memory_service.errors import Unavailable
from tests.support.fake_embeddings import FakeEmbeddings, bag_of_words

TEXTS = ["Has a cat named Tom", "Works as a nurse", "", "Lives in Lisbon 🐟"]


def remote(fake: FakeEmbeddings) -> RemoteEmbeddings:
    settings = Settings.from_environ(
        {
            "MEMORY_EMBEDDING_PROVIDER": "openai",
            "MEMORY_EMBEDDING_MODEL": "fake-embed",
            "MEMORY_EMBEDDING_BASE_URL": fake.base_url,
        }
    )
    return RemoteEmbeddings(settings.embedding)


@pytest.mark.parametrize("honours_base64", [True, False], ids=["base64", "float lists"])
async def test_vectors_come_back_in_input_order_whatever_the_encoding(honours_base64: bool) -> None:
    with FakeEmbeddings(dimensions=32) as fake:
        fake.honours_base64 = honours_base64
        embeddings = remote(fake)
        try:
            vectors = await embeddings.encode(TEXTS)
        finally:
            await embeddings.aclose()
        assert fake.requests[0]["input"] == TEXTS
    for text, vector in zip(TEXTS, vectors, strict=True):
        assert vector.dtype == np.float32 and vector.shape == (32,)
        np.testing.assert_allclose(vector, bag_of_words(text, 32), rtol=1e-6, atol=1e-7)


async def test_an_endpoint_gone_is_unavailable_not_a_crash() -> None:
    with FakeEmbeddings(dimensions=32) as fake:
        embeddings = remote(fake)
    try:
        with pytest.raises(Unavailable, match="embedding endpoint failed"):
            await embeddings.encode(["hello"])
    finally:
        await embeddings.aclose()
