"""Service settings: one frozen object built once from the environment (MEMORY_ prefix)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
PREFIX = "MEMORY_"

EmbeddingProvider = Literal["local", "openai", "azure"]
# auto: ONNX Runtime when the local model can be exported exactly, else sentence-transformers (torch).
EmbeddingBackend = Literal["auto", "onnx", "torch"]
LlmProvider = Literal["openai", "azure"]


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class LlmSettings:
    """An OpenAI-compatible chat endpoint (OpenAI, Azure OpenAI, Ollama, OpenRouter, vLLM)."""

    provider: LlmProvider
    model: str
    base_url: str | None
    api_key: str | None
    api_version: str | None
    timeout_seconds: float
    json_mode: bool
    temperature: float = 0.0


@dataclass(frozen=True)
class EmbeddingSettings:
    """Which embedder turns text into vectors."""

    provider: EmbeddingProvider
    model: str
    device: str
    backend: EmbeddingBackend
    onnx_threads: int  # ONNX Runtime intra-op threads; 0 = all available cores but one (at least 1)
    base_url: str | None
    api_key: str | None
    api_version: str | None
    dimensions: int | None
    max_batch: int
    background_max_batch: int
    cache_size: int


@dataclass(frozen=True)
class WorkerSettings:
    """How extraction workers claim and retry tasks."""

    concurrency: int
    lease_seconds: float
    max_attempts: int
    retry_base_seconds: float
    retry_max_seconds: float
    retry_budget_seconds: float
    poll_seconds: float
    duplicate_threshold: float
    maintenance_seconds: float


@dataclass(frozen=True)
class RetentionSettings:
    """How long what users said and what happened to it is kept (per-user retention comes on top)."""

    event_days: float  # 0 keeps events forever
    task_days: float  # finished tasks (counts, errors) are deleted after this; 0 keeps them
    task_text_seconds: float  # a finished task's raw turn is emptied after this grace period
    failed_task_text_days: float  # ...except a failed one's, kept this long so it can be requeued


@dataclass(frozen=True)
class SecuritySettings:
    """Who may call, over what, and how much."""

    auth_required: bool  # MEMORY_AUTH=required; off is allowed only on a loopback listener
    tls_cert: Path | None
    tls_key: Path | None
    tls_client_ca: Path | None  # set: clients must present a certificate it signed (mutual TLS)
    rate_limit_per_second: float  # per token, with MEMORY_AUTH=required; 0 turns it off
    rate_limit_burst: float
    max_concurrent_calls: int
    max_streams: int
    max_message_bytes: int


@dataclass(frozen=True)
class ObservabilitySettings:
    metrics_listen: str | None  # HOST:PORT of /metrics; None: not exposed
    metrics_refresh_seconds: float  # how often the cluster-wide series are read from the database
    tracing: bool  # OpenTelemetry spans per RPC (needs the `tracing` extra)


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment, validated at start."""

    database_url: str | None
    data_dir: Path
    listen: str
    grace_seconds: float
    pool_min_size: int
    pool_max_size: int
    run_worker: bool
    log_level: str
    log_format: Literal["json", "text"]
    stream_queue_size: int
    stream_write_timeout_seconds: float
    heartbeat_seconds: float
    erasure_secret: str | None
    secrets_key: str | None  # a Fernet key sealing API keys stored in the database
    embedding: EmbeddingSettings
    llm: LlmSettings | None
    worker: WorkerSettings
    retention: RetentionSettings
    security: SecuritySettings
    observability: ObservabilitySettings
    # The process's environment, for runtime settings that fall back to it and for env:NAME secret references.
    environ: Mapping[str, str] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @property
    def model_cache_dir(self) -> Path:
        """Where local models exported to ONNX are kept, one folder per model and weights."""
        return self.data_dir / "models" / "onnx"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], **overrides: object) -> Settings:
        """Builds settings from MEMORY_* variables; overrides (command-line flags) win."""
        env = _Env(environ)
        settings = cls(
            database_url=env.text("DATABASE_URL"),
            data_dir=Path(env.text("DATA_DIR") or "data").expanduser().absolute(),
            listen=env.text("LISTEN") or "127.0.0.1:50051",
            grace_seconds=env.number("GRACE_SECONDS", 10.0, minimum=0),
            pool_min_size=env.integer("POOL_MIN_SIZE", 2, minimum=0),
            pool_max_size=env.integer("POOL_MAX_SIZE", 10, minimum=1),
            run_worker=env.flag("RUN_WORKER", True),
            log_level=(env.text("LOG_LEVEL") or "INFO").upper(),
            log_format=env.choice("LOG_FORMAT", ("json", "text"), "json"),  # type: ignore[arg-type]
            stream_queue_size=env.integer("STREAM_QUEUE_SIZE", 1000, minimum=1),
            stream_write_timeout_seconds=env.number("STREAM_WRITE_TIMEOUT_SECONDS", 30.0, minimum=0.1),
            heartbeat_seconds=env.number("HEARTBEAT_SECONDS", 15.0, minimum=0.1),
            erasure_secret=env.text("ERASURE_SECRET"),
            secrets_key=env.text("SECRETS_KEY"),
            embedding=_embedding_settings(env),
            llm=_llm_settings(env),
            worker=WorkerSettings(
                concurrency=env.integer("WORKER_CONCURRENCY", 4, minimum=1),
                lease_seconds=env.number("TASK_LEASE_SECONDS", 60.0, minimum=0.5),
                max_attempts=env.integer("TASK_MAX_ATTEMPTS", 3, minimum=1),
                retry_base_seconds=env.number("RETRY_BASE_SECONDS", 2.0, minimum=0),
                retry_max_seconds=env.number("RETRY_MAX_SECONDS", 300.0, minimum=0),
                retry_budget_seconds=env.number("TASK_RETRY_BUDGET_SECONDS", 6 * 3600.0, minimum=0),
                poll_seconds=env.number("POLL_SECONDS", 2.0, minimum=0.05),
                duplicate_threshold=env.number("DUPLICATE_THRESHOLD", 0.85, minimum=0, maximum=1),
                maintenance_seconds=env.number("MAINTENANCE_SECONDS", 30.0, minimum=0.1),
            ),
            retention=RetentionSettings(
                event_days=env.number("EVENT_RETENTION_DAYS", 7.0, minimum=0),
                task_days=env.number("TASK_RETENTION_DAYS", 30.0, minimum=0),
                task_text_seconds=env.number("TASK_TEXT_RETENTION_SECONDS", 900.0, minimum=0),
                failed_task_text_days=env.number("FAILED_TASK_TEXT_RETENTION_DAYS", 7.0, minimum=0),
            ),
            security=_security_settings(env),
            observability=_observability_settings(env),
            environ=dict(environ),
        )
        if settings.pool_min_size > settings.pool_max_size:
            raise ConfigError("MEMORY_POOL_MIN_SIZE must not exceed MEMORY_POOL_MAX_SIZE")
        known = {field.name for field in dataclasses.fields(cls)}
        given = {key: value for key, value in overrides.items() if value is not None}
        unknown = set(given) - known
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
        return dataclasses.replace(settings, **given)  # type: ignore[arg-type]


def _embedding_settings(env: _Env) -> EmbeddingSettings:
    provider = env.choice("EMBEDDING_PROVIDER", ("local", "openai", "azure"), "local")
    model = env.text("EMBEDDING_MODEL") or (DEFAULT_EMBEDDING_MODEL if provider == "local" else None)
    if model is None:
        raise ConfigError(f"MEMORY_EMBEDDING_MODEL is required with MEMORY_EMBEDDING_PROVIDER={provider}")
    if provider == "azure" and not env.text("EMBEDDING_BASE_URL"):
        raise ConfigError("MEMORY_EMBEDDING_BASE_URL (the Azure endpoint) is required with provider azure")
    if provider == "azure" and not env.text("EMBEDDING_API_KEY"):
        raise ConfigError("MEMORY_EMBEDDING_API_KEY is required with provider azure")
    return EmbeddingSettings(
        provider=provider,  # type: ignore[arg-type]
        model=model,
        device=env.text("EMBEDDING_DEVICE") or "cpu",
        backend=env.choice("EMBEDDING_BACKEND", ("auto", "onnx", "torch"), "auto"),  # type: ignore[arg-type]
        onnx_threads=env.integer("EMBEDDING_ONNX_THREADS", 0, minimum=0),
        base_url=env.text("EMBEDDING_BASE_URL"),
        api_key=env.text("EMBEDDING_API_KEY"),
        api_version=env.text("EMBEDDING_API_VERSION") or ("2024-10-21" if provider == "azure" else None),
        dimensions=env.integer("EMBEDDING_DIMENSIONS", 0, minimum=0) or None,
        # 16, not more: callers that share one batch then query the database together while the model idles;
        # two smaller batches overlap the model with the other's queries (benchmarks/mem0_comparison.py).
        max_batch=env.integer("EMBEDDING_MAX_BATCH", 16, minimum=1),
        background_max_batch=env.integer("EMBEDDING_BACKGROUND_BATCH", 4, minimum=1),
        cache_size=env.integer("EMBEDDING_CACHE_SIZE", 2048, minimum=0),
    )


def _llm_settings(env: _Env) -> LlmSettings | None:
    model = env.text("LLM_MODEL")
    base_url = env.text("LLM_BASE_URL")
    provider = env.choice("LLM_PROVIDER", ("openai", "azure"), "openai")
    if model is None:
        if base_url is not None:
            raise ConfigError("MEMORY_LLM_MODEL is required when MEMORY_LLM_BASE_URL is set")
        return None  # verbatim mode
    if provider == "azure" and base_url is None:
        raise ConfigError("MEMORY_LLM_BASE_URL (the Azure endpoint) is required with MEMORY_LLM_PROVIDER=azure")
    if provider == "azure" and not env.text("LLM_API_KEY"):
        raise ConfigError("MEMORY_LLM_API_KEY is required with MEMORY_LLM_PROVIDER=azure")
    return LlmSettings(
        provider=provider,  # type: ignore[arg-type]
        model=model,
        base_url=base_url,
        api_key=env.text("LLM_API_KEY"),
        api_version=env.text("LLM_API_VERSION") or ("2024-10-21" if provider == "azure" else None),
        timeout_seconds=env.number("LLM_TIMEOUT_SECONDS", 60.0, minimum=0.1),
        json_mode=env.flag("LLM_JSON_MODE", True),
        temperature=env.number("LLM_TEMPERATURE", 0.0, minimum=0, maximum=2),
    )


def _security_settings(env: _Env) -> SecuritySettings:
    def path(name: str) -> Path | None:
        value = env.text(name)
        if value is None:
            return None
        found = Path(value).expanduser()
        if not found.is_file():
            raise ConfigError(f"{PREFIX}{name} names {value!r}, which is not a readable file")
        return found

    cert, key = path("TLS_CERT"), path("TLS_KEY")
    if (cert is None) != (key is None):
        raise ConfigError("MEMORY_TLS_CERT and MEMORY_TLS_KEY go together: set both or neither")
    client_ca = path("TLS_CLIENT_CA")
    if client_ca is not None and cert is None:
        raise ConfigError("MEMORY_TLS_CLIENT_CA (mutual TLS) needs MEMORY_TLS_CERT and MEMORY_TLS_KEY")
    return SecuritySettings(
        auth_required=env.choice("AUTH", ("off", "required"), "off") == "required",
        tls_cert=cert,
        tls_key=key,
        tls_client_ca=client_ca,
        rate_limit_per_second=env.number("RATE_LIMIT_PER_SECOND", 200.0, minimum=0),
        rate_limit_burst=env.number("RATE_LIMIT_BURST", 400.0, minimum=1),
        max_concurrent_calls=env.integer("MAX_CONCURRENT_CALLS", 512, minimum=1),
        max_streams=env.integer("MAX_STREAMS", 1000, minimum=1),
        max_message_bytes=env.integer("MAX_MESSAGE_BYTES", 4 * 1024 * 1024, minimum=64 * 1024),
    )


def _observability_settings(env: _Env) -> ObservabilitySettings:
    listen = env.text("METRICS_LISTEN")
    if listen is not None:
        _host, colon, port = listen.rpartition(":")
        if not colon or not port.isdigit() or int(port) > 65535:
            raise ConfigError(f"MEMORY_METRICS_LISTEN must be HOST:PORT (e.g. 0.0.0.0:9464), not {listen!r}")
    return ObservabilitySettings(
        metrics_listen=listen,
        metrics_refresh_seconds=env.number("METRICS_REFRESH_SECONDS", 15.0, minimum=1),
        tracing=env.choice("TRACING", ("off", "otlp"), "off") == "otlp",
    )


def embedding_settings_from(environ: Mapping[str, str]) -> EmbeddingSettings:
    """Embedding settings from MEMORY_* variables (runtime settings from the database are merged in first)."""
    return _embedding_settings(_Env(environ))


def llm_settings_from(environ: Mapping[str, str]) -> LlmSettings | None:
    """LLM settings from MEMORY_* variables; None means verbatim extraction."""
    return _llm_settings(_Env(environ))


class _Env:
    """Typed reads of MEMORY_* variables with errors that name the variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str) -> str | None:
        value = self._environ.get(PREFIX + name, "").strip()
        return value or None

    def number(self, name: str, default: float, *, minimum: float | None = None, maximum: float | None = None) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{PREFIX}{name} must be a number, got {raw!r}") from None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise ConfigError(f"{PREFIX}{name} must be between {minimum} and {maximum}, got {raw!r}")
        return value

    def integer(self, name: str, default: int, *, minimum: int | None = None) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{PREFIX}{name} must be a whole number, got {raw!r}") from None
        if minimum is not None and value < minimum:
            raise ConfigError(f"{PREFIX}{name} must be at least {minimum}, got {raw!r}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self.text(name)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{PREFIX}{name} must be true or false, got {raw!r}")

    def choice(self, name: str, options: tuple[str, ...], default: str) -> str:
        raw = (self.text(name) or default).lower()
        if raw not in options:
            raise ConfigError(f"{PREFIX}{name} must be one of {', '.join(options)}, got {raw!r}")
        return raw
