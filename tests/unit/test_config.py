"""Settings come from MEMORY_* variables; bad values fail at start, naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from memory_service.config import ConfigError, Settings


def test_defaults_need_nothing() -> None:
    settings = Settings.from_environ({})
    assert settings.database_url is None and settings.listen == "127.0.0.1:50051"
    assert settings.data_dir == Path("data").absolute()
    assert settings.embedding.provider == "local" and settings.embedding.model == "all-MiniLM-L6-v2"
    assert settings.llm is None  # verbatim extraction
    assert settings.worker.max_attempts == 3
    assert settings.embedding.backend == "auto" and settings.embedding.onnx_threads == 0
    assert settings.model_cache_dir == Path("data").absolute() / "models" / "onnx"


def test_embedding_backend() -> None:
    for value in ("auto", "onnx", "torch", "ONNX"):
        assert Settings.from_environ({"MEMORY_EMBEDDING_BACKEND": value}).embedding.backend == value.lower()
    settings = Settings.from_environ({"MEMORY_EMBEDDING_ONNX_THREADS": "3"}, data_dir=Path("/srv/memory"))
    assert settings.embedding.onnx_threads == 3
    assert settings.model_cache_dir == Path("/srv/memory/models/onnx")  # follows --data-dir


def test_overrides_win_over_environment() -> None:
    settings = Settings.from_environ({"MEMORY_LISTEN": "0.0.0.0:1"}, listen="127.0.0.1:2", data_dir=None)
    assert settings.listen == "127.0.0.1:2"


def test_llm_settings() -> None:
    settings = Settings.from_environ(
        {"MEMORY_LLM_BASE_URL": "http://localhost:11434/v1", "MEMORY_LLM_MODEL": "llama3.1:8b"}
    )
    assert settings.llm is not None and settings.llm.provider == "openai" and settings.llm.api_key is None


@pytest.mark.parametrize(
    ("environ", "needle"),
    [
        ({"MEMORY_POOL_MAX_SIZE": "many"}, "MEMORY_POOL_MAX_SIZE must be a whole number"),
        ({"MEMORY_GRACE_SECONDS": "-1"}, "MEMORY_GRACE_SECONDS must be between"),
        ({"MEMORY_RUN_WORKER": "maybe"}, "MEMORY_RUN_WORKER must be true or false"),
        ({"MEMORY_EMBEDDING_PROVIDER": "bert"}, "MEMORY_EMBEDDING_PROVIDER must be one of"),
        ({"MEMORY_EMBEDDING_PROVIDER": "openai"}, "MEMORY_EMBEDDING_MODEL is required"),
        ({"MEMORY_EMBEDDING_BACKEND": "tensorflow"}, "MEMORY_EMBEDDING_BACKEND must be one of auto, onnx, torch"),
        ({"MEMORY_EMBEDDING_ONNX_THREADS": "-1"}, "MEMORY_EMBEDDING_ONNX_THREADS must be at least 0"),
        ({"MEMORY_LLM_BASE_URL": "http://x"}, "MEMORY_LLM_MODEL is required"),
        ({"MEMORY_LLM_PROVIDER": "azure", "MEMORY_LLM_MODEL": "gpt"}, "MEMORY_LLM_BASE_URL (the Azure endpoint)"),
        ({"MEMORY_POOL_MIN_SIZE": "5", "MEMORY_POOL_MAX_SIZE": "2"}, "must not exceed"),
    ],
)
def test_bad_values_name_the_variable(environ: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=None) as raised:
        Settings.from_environ(environ)
    assert needle in str(raised.value)
