"""Local models on this machine's disk: the Hugging Face cache and our ONNX exports; pruning the unused ones."""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedModel:
    name: str
    path: Path
    size_bytes: int
    files: int
    in_use: bool


def list_cached(onnx_root: Path, in_use: set[str], hf_cache: Path | None = None) -> list[CachedModel]:
    """Every cached model, by name. Blocking (walks directories): run it in a thread.

    hf_cache: the Hugging Face hub cache to scan (None: huggingface_hub's default, HF_HUB_CACHE).
    """
    models = [*_hugging_face(in_use, hf_cache), *_onnx_exports(onnx_root, in_use)]
    return sorted(models, key=lambda m: (m.name, str(m.path)))


def prune(onnx_root: Path, in_use: set[str], hf_cache: Path | None = None) -> tuple[list[CachedModel], int]:
    """Removes cached models not in use; returns what remains and the bytes freed. Blocking."""
    freed = 0
    for model in list_cached(onnx_root, in_use, hf_cache):
        if model.in_use:
            continue
        # A hub repo folder holds all of a model's revisions and blobs: removing it is what the hub's
        # own deletion strategy does for a whole repo.
        shutil.rmtree(model.path, ignore_errors=True)
        freed += model.size_bytes
        log.info("removed a cached model", extra={"model": model.name, "bytes": model.size_bytes})
    return list_cached(onnx_root, in_use, hf_cache), freed


def _hugging_face(in_use: set[str], hf_cache: Path | None) -> list[CachedModel]:
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir(hf_cache)
    except CacheNotFound:
        return []
    return [
        CachedModel(
            name=repo.repo_id,
            path=Path(repo.repo_path),
            size_bytes=repo.size_on_disk,
            files=repo.nb_files,
            in_use=_matches(repo.repo_id, in_use),
        )
        for repo in info.repos
        if repo.repo_type == "model"
    ]


def _onnx_exports(root: Path, in_use: set[str]) -> list[CachedModel]:
    if not root.is_dir():
        return []
    models = []
    for folder in root.iterdir():
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        try:
            name = str(json.loads((folder / "manifest.json").read_text())["model"])
        except (OSError, ValueError, KeyError):
            name = folder.name.rsplit("-", 1)[0]
        files = [f for f in folder.rglob("*") if f.is_file()]
        models.append(
            CachedModel(
                name=f"{name} (ONNX export)",
                path=folder,
                size_bytes=sum(f.stat().st_size for f in files),
                files=len(files),
                in_use=_matches(name, in_use),
            )
        )
    return models


def _matches(name: str, in_use: set[str]) -> bool:
    """A cached model serves a configured one named the same, or its hub id's last part (owner/name)."""
    return any(name == used or name.rsplit("/", 1)[-1] == used.rsplit("/", 1)[-1] for used in in_use)
