"""The deployment files start a server that would accept its own configuration.

No container engine or cluster here: the files are parsed, and the settings they
give the process are fed to the same checks `memory-service serve` runs first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from memory_service.config import Settings
from memory_service.grpc_api.server import check_exposure

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def dockerfile_env() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line))
    return env


def kubernetes_documents() -> list[dict[str, Any]]:
    documents = []
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return documents


def test_every_manifest_parses_and_the_kustomization_names_existing_files() -> None:
    documents = kubernetes_documents()
    assert {d["kind"] for d in documents} >= {"ConfigMap", "Deployment", "Service", "Job", "Kustomization"}
    kustomization = yaml.safe_load((DEPLOY / "kubernetes" / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (DEPLOY / "kubernetes" / resource).exists(), resource


def test_the_kubernetes_configuration_passes_the_servers_own_checks() -> None:
    documents = kubernetes_documents()
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    secret = next(d for d in documents if d["kind"] == "Secret")["stringData"]
    env = {**dockerfile_env(), **config, **secret}
    settings = Settings.from_environ(env)
    check_exposure(settings.listen, settings.security)  # listening on 0.0.0.0 needs MEMORY_AUTH=required
    assert settings.security.auth_required


def test_the_compose_configuration_passes_the_servers_own_checks() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    memory = compose["services"]["memory"]
    environment = {
        k: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(v))  # ${VAR:-default} as compose leaves it with VAR unset
        for k, v in compose["x-memory"]["environment"].items()
    }
    env = {**dockerfile_env(), **environment}
    settings = Settings.from_environ(env)
    check_exposure(settings.listen, settings.security)
    assert memory["command"] == ["serve", "--no-worker"]


@pytest.mark.parametrize("name", ["MEMORY_AUTH", "MEMORY_LISTEN", "MEMORY_DATA_DIR"])
def test_the_image_sets(name: str) -> None:
    assert name in dockerfile_env()
