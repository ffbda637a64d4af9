"""docs/configuration.md is what scripts/generate_config_docs.py makes from the code, and every variable is described."""

from __future__ import annotations

from unittest import mock

import pytest

from memory_service import config
from tests.support.docs import load_config_docs_generator


def test_the_configuration_reference_is_current() -> None:
    generator = load_config_docs_generator()
    fresh = generator.render()
    stale = not generator.OUTPUT.exists() or generator.OUTPUT.read_text() != fresh
    assert not stale, "docs/configuration.md is stale: run `make docs` and commit the result"


def test_every_variable_the_code_reads_is_described() -> None:
    generator = load_config_docs_generator()
    variables, gateway = generator.collect()
    generator.check_descriptions(variables, gateway)  # raises, naming the variables, when one is missing


def test_the_reference_reads_types_defaults_limits_and_flags_from_the_code() -> None:
    variables, gateway = load_config_docs_generator().collect()
    assert variables["MEMORY_LISTEN"].default == "127.0.0.1:50051"  # a default outside the reader: `or "..."`
    temperature = variables["MEMORY_LLM_TEMPERATURE"]  # read only once an LLM model is named
    assert (temperature.kind, temperature.minimum, temperature.maximum) == ("number", 0, 2)
    assert variables["MEMORY_TLS_CLIENT_CA"].path_typed  # read only with a certificate and key beside it
    assert variables["MEMORY_LOG_FORMAT"].choices == ("json", "text")
    assert variables["MEMORY_WORKER_CONCURRENCY"].flags == ["`--concurrency` (`worker`)"]
    assert variables["MEMORY_DATA_DIR"].flags == ["`--data-dir` (every command)"]
    assert gateway == {"MEMORY_TLS_CA": "--tls-ca", "MEMORY_TLS_CERT": "--tls-cert", "MEMORY_TLS_KEY": "--tls-key"}


def test_a_new_variable_without_a_description_is_named() -> None:
    """What another engineer adding MEMORY_SHARD_COUNT to config.py meets until settings_reference.py says it."""
    generator = load_config_docs_generator()
    original = config.Settings.from_environ.__func__  # type: ignore[attr-defined]

    def with_new_variable(
        cls: type[config.Settings], /, environ: dict[str, str], **overrides: object
    ) -> config.Settings:
        config._Env(environ).text("SHARD_COUNT")
        return original(cls, environ, **overrides)  # type: ignore[no-any-return]

    with mock.patch.object(config.Settings, "from_environ", classmethod(with_new_variable)):
        variables, gateway = generator.collect()
    assert "MEMORY_SHARD_COUNT" in variables
    with pytest.raises(generator.ReferenceError, match="not described: MEMORY_SHARD_COUNT"):
        generator.check_descriptions(variables, gateway)
