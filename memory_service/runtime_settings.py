"""Settings an operator changes at run time, with the priority database > environment > default.

Two groups:
- llm.*: the extraction LLM. Each process takes, per setting, the value stored in
  the database, else its MEMORY_* variable, else the default.
- embedding.*: which model's vectors the search compares. One cluster-wide truth
  lives in the database from the first start on (so two processes configured
  differently never re-embed each other's facts): a process's MEMORY_EMBEDDING_*
  variables only seed it. Changing it through AdminService starts a model switch.

Secrets (llm.api_key, embedding.api_key) are write-only: stored sealed (see
secret_box.py) and never returned, only whether they are set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from memory_service.config import (
    PREFIX,
    ConfigError,
    EmbeddingSettings,
    LlmSettings,
    embedding_settings_from,
    llm_settings_from,
)
from memory_service.secret_box import SecretBox


class Source(StrEnum):
    DATABASE = "database"
    ENVIRONMENT = "environment"
    DEFAULT = "default"


@dataclass(frozen=True)
class SettingSpec:
    name: str
    variable: str  # the environment variable, without the MEMORY_ prefix
    default: str
    description: str
    write_only: bool = False

    @property
    def environment_variable(self) -> str:
        return PREFIX + self.variable


LLM_SPECS = (
    SettingSpec("llm.provider", "LLM_PROVIDER", "openai", "openai (any OpenAI-compatible endpoint) or azure"),
    SettingSpec("llm.base_url", "LLM_BASE_URL", "", "The chat endpoint, e.g. http://localhost:11434/v1 for Ollama"),
    SettingSpec("llm.model", "LLM_MODEL", "", "The chat model (Azure: the deployment); empty: verbatim extraction"),
    SettingSpec("llm.api_key", "LLM_API_KEY", "", "The endpoint's API key, or env:NAME", write_only=True),
    SettingSpec("llm.api_version", "LLM_API_VERSION", "", "Azure OpenAI's API version (default 2024-10-21)"),
    SettingSpec("llm.temperature", "LLM_TEMPERATURE", "0", "Sampling temperature, 0 to 2"),
    SettingSpec("llm.timeout_seconds", "LLM_TIMEOUT_SECONDS", "60", "Per LLM call; a timeout is retried"),
    SettingSpec("llm.json_mode", "LLM_JSON_MODE", "true", "Ask for response_format json_object"),
)
EMBEDDING_SPECS = (
    SettingSpec("embedding.provider", "EMBEDDING_PROVIDER", "local", "local, openai or azure"),
    SettingSpec(
        "embedding.model", "EMBEDDING_MODEL", "all-MiniLM-L6-v2", "A local model name or path, or the remote model"
    ),
    SettingSpec("embedding.dimensions", "EMBEDDING_DIMENSIONS", "", "Vector size for remote models that can shorten"),
    SettingSpec("embedding.base_url", "EMBEDDING_BASE_URL", "", "The embeddings endpoint (Azure: required)"),
    SettingSpec("embedding.api_key", "EMBEDDING_API_KEY", "", "The endpoint's API key, or env:NAME", write_only=True),
    SettingSpec("embedding.api_version", "EMBEDDING_API_VERSION", "", "Azure OpenAI's API version"),
)
SPECS = {spec.name: spec for spec in (*LLM_SPECS, *EMBEDDING_SPECS)}


@dataclass(frozen=True)
class SettingValue:
    name: str
    value: str  # "" for unset and for write-only settings
    source: Source
    write_only: bool
    is_set: bool
    environment_variable: str
    description: str


# An embedding identity: the embedding.* settings that decide which vectors a model makes, as stored
# in the database (secrets sealed). Its model_id is what is stored beside every vector.
Identity = dict[str, Any]


def identity_from_environ(environ: Mapping[str, str]) -> Identity:
    """The identity a first process seeds the database with: its provider and model (defaults included),
    what else its variables set, and its API key only as a reference to its variable."""
    identity: Identity = {}
    for spec in EMBEDDING_SPECS:
        raw = environ.get(spec.environment_variable, "").strip() or spec.default
        if raw and spec.write_only:
            identity[spec.name] = {"env": spec.environment_variable}
        elif raw:
            identity[spec.name] = raw
    if identity.get("embedding.provider", "local") != "local" and not environ.get(PREFIX + "EMBEDDING_MODEL"):
        identity.pop("embedding.model")  # the local default does not name a remote model
    return identity


def embedding_settings(identity: Identity, environ: Mapping[str, str], box: SecretBox) -> EmbeddingSettings:
    """The settings of an embedder for an identity, with this process's own knobs (device, batches) from its env."""
    merged = {k: v for k, v in environ.items() if not k.startswith(PREFIX + "EMBEDDING_") or _is_knob(k)}
    for spec in EMBEDDING_SPECS:
        stored = identity.get(spec.name)
        if stored is None:
            continue
        value = box.open(stored) if spec.write_only else str(stored)
        if value:
            merged[spec.environment_variable] = value
    return embedding_settings_from(merged)


def llm_environ(base: LlmSettings | None) -> dict[str, str]:
    """The MEMORY_LLM_* variables that give these settings (the process's own, after command-line overrides)."""
    if base is None:
        return {}
    variables = {
        "LLM_PROVIDER": base.provider,
        "LLM_MODEL": base.model,
        "LLM_BASE_URL": base.base_url or "",
        "LLM_API_KEY": base.api_key or "",
        "LLM_API_VERSION": base.api_version or "",
        "LLM_TIMEOUT_SECONDS": str(base.timeout_seconds),
        "LLM_JSON_MODE": str(base.json_mode).lower(),
        "LLM_TEMPERATURE": str(base.temperature),
    }
    return {PREFIX + name: value for name, value in variables.items() if value}


def llm_settings(stored: Mapping[str, Any], base: Mapping[str, str], box: SecretBox) -> LlmSettings | None:
    """Per setting: the database's value, else the process's (llm_environ), else the default."""
    merged = dict(base)
    for spec in LLM_SPECS:
        if spec.name not in stored:
            continue
        value = box.open(stored[spec.name]) if spec.write_only else str(stored[spec.name])
        if value:
            merged[spec.environment_variable] = value
        else:
            merged.pop(spec.environment_variable, None)  # stored as empty: unset it here too
    return llm_settings_from(merged)


def describe(stored: Mapping[str, Any], identity: Identity, environ: Mapping[str, str]) -> list[SettingValue]:
    """Every setting's effective value and where it comes from; secrets only as set or not."""
    values = []
    for spec in (*LLM_SPECS, *EMBEDDING_SPECS):
        in_database = identity if spec.name.startswith("embedding.") else stored
        raw_env = environ.get(spec.environment_variable, "").strip()
        if spec.name in in_database:
            raw, source = in_database[spec.name], Source.DATABASE
        elif raw_env and not spec.name.startswith("embedding."):
            raw, source = raw_env, Source.ENVIRONMENT
        else:
            raw, source = spec.default, Source.DEFAULT
        is_set = bool(raw)
        values.append(
            SettingValue(
                name=spec.name,
                value="" if spec.write_only else str(raw),
                source=source,
                write_only=spec.write_only,
                is_set=is_set,
                environment_variable=spec.environment_variable,
                description=spec.description,
            )
        )
    return values


def check_llm(stored: Mapping[str, Any], base: Mapping[str, str], box: SecretBox) -> str | None:
    """Why these stored LLM settings cannot work together, or None."""
    try:
        llm_settings(stored, base, box)
    except ConfigError as exc:
        return str(exc)
    return None


def check_embedding(identity: Identity, environ: Mapping[str, str], box: SecretBox) -> str | None:
    try:
        embedding_settings(identity, environ, box)
    except ConfigError as exc:
        return str(exc)
    return None


def parse_value(spec: SettingSpec, value: str) -> str | None:
    """Why a value is not acceptable for a setting, or None."""
    value = value.strip()
    if spec.name.endswith(".provider"):
        allowed = ("openai", "azure") if spec.name.startswith("llm.") else ("local", "openai", "azure")
        return None if value in allowed else f"must be one of {', '.join(allowed)}"
    if spec.name in ("llm.temperature", "llm.timeout_seconds"):
        try:
            number = float(value)
        except ValueError:
            return "must be a number"
        low, high = (0.0, 2.0) if spec.name == "llm.temperature" else (0.1, 3600.0)
        return None if low <= number <= high else f"must be between {low} and {high}"
    if spec.name == "llm.json_mode":
        return None if value.lower() in ("true", "false") else "must be true or false"
    if spec.name == "embedding.dimensions":
        return None if value == "" or (value.isdigit() and 0 < int(value) <= 16_000) else "must be 1 to 16000"
    if spec.name == "embedding.model" and not value:
        return "must not be empty"
    if len(value) > 2000 or "\x00" in value:
        return "must be at most 2000 characters, without NUL"
    return None


def _is_knob(variable: str) -> bool:
    """Embedding variables that are this process's own business, not the cluster's identity."""
    return variable.removeprefix(PREFIX + "EMBEDDING_") in (
        "DEVICE",
        "BACKEND",
        "ONNX_THREADS",
        "MAX_BATCH",
        "BACKGROUND_BATCH",
        "CACHE_SIZE",
    )
