"""Session-wide real parts: one PostgreSQL (a migrated template cloned per test), one loaded model, one ONNX export."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from memory_service.config import DEFAULT_EMBEDDING_MODEL, Settings
from memory_service.embeddings.local import load_model, resolve_model_path
from memory_service.embeddings.onnx_model import open_onnx_model
from memory_service.extraction.mem0_logic import disable_mem0_phone_home
from tests.support.database import create_template, drop_template, fresh_database, postgres_server
from tests.support.fake_llm import FakeLlm
from tests.support.harness import Service, make_settings, running_service

# Before anything imports mem0: no telemetry, and its config file goes to a temp dir.
disable_mem0_phone_home(Path(tempfile.gettempdir()) / "vbm-mem0")


@pytest.fixture(scope="session")
def admin_url() -> Iterator[str]:
    with postgres_server() as url:
        create_template(url)
        try:
            yield url
        finally:
            drop_template(url)


@pytest.fixture
def database_url(admin_url: str) -> Iterator[str]:
    with fresh_database(admin_url) as url:
        yield url


@pytest.fixture(scope="session")
def sentence_model() -> Any:
    """The packaged all-MiniLM-L6-v2, loaded once for the whole run."""
    return load_model("all-MiniLM-L6-v2", "cpu")


@pytest.fixture(scope="session")
def onnx_data_dir(tmp_path_factory: pytest.TempPathFactory, sentence_model: Any) -> Path:
    """A data dir whose ONNX cache holds one export of the packaged model, made once for the whole run."""
    data_dir = tmp_path_factory.mktemp("onnx-data")
    cache_root = Settings.from_environ({"MEMORY_DATA_DIR": str(data_dir)}).model_cache_dir
    model_path = resolve_model_path(DEFAULT_EMBEDDING_MODEL)
    open_onnx_model(DEFAULT_EMBEDDING_MODEL, model_path, cache_root, lambda: sentence_model)
    return data_dir


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Any:
    return make_settings(database_url, tmp_path)


@pytest.fixture
async def service(settings: Any, sentence_model: Any) -> AsyncIterator[Service]:
    async with running_service(settings, sentence_model) as running:
        yield running


@pytest.fixture
def fake_llm() -> Iterator[FakeLlm]:
    with FakeLlm() as llm:
        yield llm
