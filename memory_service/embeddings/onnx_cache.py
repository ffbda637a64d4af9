"""The on-disk cache of exported ONNX models: one folder per model and weights, its manifest, atomic publishing.

    <cache root>/<model name>-<hash of the model's files>/
        model.onnx       the transformer: token ids in, token embeddings out
        tokenizer.json   the fast tokenizer, truncation and padding already set
        manifest.json    pooling, max_seq_length, dimensions, normalize, and a probe vector to check a load

A folder appears whole or not at all: it is written under a temporary name and renamed into place, so a
process that crashes mid-export, or two processes exporting at once, never leave a half-written one behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

# Bumped whenever what an export writes changes; folders of another format are rebuilt.
FORMAT = 1
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MANIFEST_FILE = "manifest.json"

Pooling = Literal["mean", "cls"]


class CorruptCache(Exception):
    """A cache folder is missing a file, or holds one that cannot be read: it must be rebuilt."""


@dataclass(frozen=True)
class Manifest:
    """What the runtime needs besides the graph and the tokenizer to reproduce sentence-transformers."""

    format: int
    model: str
    source_hash: str
    input_names: tuple[str, ...]
    pooling: Pooling
    max_seq_length: int
    dimensions: int
    normalize: bool
    model_bytes: int
    probe_text: str
    probe_vector: tuple[float, ...]

    def write(self, folder: Path) -> None:
        (folder / MANIFEST_FILE).write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            raw: Any = json.loads((folder / MANIFEST_FILE).read_text())
            manifest = cls(
                format=int(raw["format"]),
                model=str(raw["model"]),
                source_hash=str(raw["source_hash"]),
                input_names=tuple(str(name) for name in raw["input_names"]),
                pooling=raw["pooling"],
                max_seq_length=int(raw["max_seq_length"]),
                dimensions=int(raw["dimensions"]),
                normalize=bool(raw["normalize"]),
                model_bytes=int(raw["model_bytes"]),
                probe_text=str(raw["probe_text"]),
                probe_vector=tuple(float(x) for x in raw["probe_vector"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CorruptCache(f"unreadable {MANIFEST_FILE} ({type(exc).__name__})") from exc
        if manifest.format != FORMAT:
            raise CorruptCache(f"cache format {manifest.format}, this version writes {FORMAT}")
        if manifest.pooling not in ("mean", "cls") or len(manifest.probe_vector) != manifest.dimensions:
            raise CorruptCache(f"inconsistent {MANIFEST_FILE}")
        # A truncated graph is caught here cheaply; a damaged one fails to load or misses the probe vector.
        model_file = folder / MODEL_FILE
        if not model_file.is_file() or model_file.stat().st_size != manifest.model_bytes:
            raise CorruptCache(f"{MODEL_FILE} is missing or not the size the manifest records")
        if not (folder / TOKENIZER_FILE).is_file():
            raise CorruptCache(f"{TOKENIZER_FILE} is missing")
        return manifest


def source_hash(model_dir: Path) -> str:
    """A digest of every file of a model folder (names and contents): new weights or config, new cache folder."""
    digest = hashlib.sha256()
    files = sorted(
        path
        for path in model_dir.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(model_dir).parts)
    )
    for path in files:
        digest.update(path.relative_to(model_dir).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def cache_folder(root: Path, model: str, model_hash: str) -> Path:
    """<root>/<model name>-<first 16 hex digits of the hash>; a path as model name keeps only its last part."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(model).name).strip("-.") or "model"
    return root / f"{name}-{model_hash[:16]}"


@contextlib.contextmanager
def staging_folder(root: Path) -> Iterator[Path]:
    """A fresh folder beside the final one (same file system, so the rename is atomic), removed if left over."""
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def publish(staging: Path, final: Path) -> bool:
    """Renames a complete staging folder into place. False when another process published one first."""
    try:
        os.rename(staging, final)
    except OSError:
        if final.exists():
            return False  # the other process's export wins; the caller loads it
        raise
    return True


def discard(folder: Path) -> None:
    """Moves a bad folder out of the way at once (one rename), then deletes it."""
    trash = folder.with_name(f".trash-{folder.name}-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        os.rename(folder, trash)
    except FileNotFoundError:
        return  # another process discarded it already
    shutil.rmtree(trash, ignore_errors=True)
