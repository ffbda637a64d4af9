"""The ONNX Runtime backend: the same vectors as sentence-transformers, exported once, cached, rebuilt when damaged."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from memory_service.config import DEFAULT_EMBEDDING_MODEL, ConfigError, Settings
from memory_service.embeddings.local import open_local_model, resolve_model_path
from memory_service.embeddings.onnx_cache import MANIFEST_FILE, MODEL_FILE, Manifest, publish, staging_folder
from memory_service.embeddings.onnx_export import NotExportable, pipeline_shape
from memory_service.embeddings.onnx_model import OnnxUnavailable, open_onnx_model
from memory_service.embeddings.onnx_runtime import OnnxEncoder, cosine_distance
from tests.support.processes import ROOT

MODEL_PATH = resolve_model_path(DEFAULT_EMBEDDING_MODEL)
LONG_TEXT = " ".join(
    f"On day {i} of the holiday we hiked from the village to the lake, ate cheese and argued about maps."
    for i in range(40)
)
TEXTS = [
    "What should we cook for dinner tonight?",
    "I'm allergic to PEANUTS and shellfish.",
    LONG_TEXT,
    "Ich bin Krankenschwester in einem Kinderkrankenhaus in Köln.",
    "私の犬の名前はビスケットです。",
    "Меня зовут Алиса, я живу в Санкт-Петербурге.",
    "مرحبا، أنا أحب القهوة",
    "I love my cat 🐱❤️ and pizza 🍕",
    "👍",
    "",
    " ",
    "?",
    "ok",
]


class Recorder:
    """A sentence-transformers provider that counts how often the ONNX loader had to ask for torch."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        return self.model


def cache_root(data_dir: Path) -> Path:
    return Settings.from_environ({"MEMORY_DATA_DIR": str(data_dir)}).model_cache_dir


def names_in(root: Path) -> list[str]:
    return sorted(path.name for path in root.iterdir())


def only_folder(root: Path) -> Path:
    [name] = [name for name in names_in(root) if not name.startswith(".")]
    return root / name


def embedding_settings(**env: str) -> Any:
    return Settings.from_environ({f"MEMORY_{key}": value for key, value in env.items()}).embedding


@pytest.fixture(scope="module")
def encoder(onnx_data_dir: Path) -> OnnxEncoder:
    return OnnxEncoder.load(only_folder(cache_root(onnx_data_dir)))


def test_vectors_match_sentence_transformers(encoder: OnnxEncoder, sentence_model: Any) -> None:
    assert len(sentence_model.tokenizer(LONG_TEXT)["input_ids"]) > 2 * sentence_model.max_seq_length  # truncated
    reference = sentence_model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    vectors = encoder.encode(TEXTS)
    assert len(vectors) == len(TEXTS)
    for text, vector, expected in zip(TEXTS, vectors, reference, strict=True):
        assert vector.dtype == np.float32 and vector.shape == (384,)
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
        assert cosine_distance(vector, expected) <= 1e-4, text


def test_batched_vectors_equal_unbatched_ones(encoder: OnnxEncoder) -> None:
    texts = [*TEXTS, *(f"fact number {i}: likes {'very ' * i}long walks" for i in range(30))]  # > one chunk
    batched = encoder.encode(texts)
    for text, vector in zip(texts, batched, strict=True):
        [alone] = encoder.encode([text])
        assert cosine_distance(vector, alone) <= 1e-6, text
    assert encoder.encode([]) == []


def test_the_manifest_describes_the_pipeline(encoder: OnnxEncoder, sentence_model: Any) -> None:
    manifest = encoder.manifest
    assert (manifest.pooling, manifest.normalize) == pipeline_shape(sentence_model) == ("mean", True)
    assert (manifest.max_seq_length, manifest.dimensions) == (256, 384)
    assert manifest.model == DEFAULT_EMBEDDING_MODEL
    assert encoder.folder.name.startswith("all-MiniLM-L6-v2-")


def test_a_second_load_reuses_the_cache(onnx_data_dir: Path, sentence_model: Any) -> None:
    root = cache_root(onnx_data_dir)
    folder = only_folder(root)
    before = (folder / MODEL_FILE).stat()
    recorder = Recorder(sentence_model)
    loaded = open_onnx_model(DEFAULT_EMBEDDING_MODEL, MODEL_PATH, root, recorder)
    assert recorder.calls == 0 and loaded.folder == folder
    after = (folder / MODEL_FILE).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_warm_start_imports_neither_torch_nor_sentence_transformers(onnx_data_dir: Path) -> None:
    probe = f"""
import sys
from pathlib import Path
from memory_service.embeddings.onnx_model import open_onnx_model
def no_torch():
    raise AssertionError("the cache should have served")
encoder = open_onnx_model({DEFAULT_EMBEDDING_MODEL!r}, {MODEL_PATH!r}, Path({str(cache_root(onnx_data_dir))!r}), no_torch)
[vector] = encoder.encode(["hello"])
print(sorted(name for name in ("torch", "sentence_transformers", "transformers") if name in sys.modules), len(vector))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]", "384"]


def test_a_first_start_exports_in_a_child_and_never_imports_torch(tmp_path: Path, encoder: OnnxEncoder) -> None:
    probe = f"""
import sys
from pathlib import Path
from memory_service.embeddings.onnx_model import open_onnx_model
def no_torch():
    raise AssertionError("the child process should export")
made = open_onnx_model({DEFAULT_EMBEDDING_MODEL!r}, {MODEL_PATH!r}, Path({str(tmp_path)!r}), no_torch,
                       export_in_child=True)
vectors = made.encode({TEXTS!r})
print(sorted(name for name in ("torch", "sentence_transformers", "transformers") if name in sys.modules))
print(" ".join(str(float(v[0])) for v in vectors))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stderr
    imported, firsts = result.stdout.splitlines()
    assert imported == "[]"
    reference = encoder.encode(TEXTS)  # the same weights exported in this process
    assert [round(float(x), 5) for x in firsts.split()] == [round(float(v[0]), 5) for v in reference]
    assert only_folder(tmp_path).name.startswith("all-MiniLM-L6-v2-")


def test_a_batch_of_huge_texts_does_not_keep_its_memory(onnx_data_dir: Path) -> None:
    # A fresh process, so the figures are the encoder's own. Before the arena shrink and the heap trim, three
    # calls of 32 hostile 20 kB texts left the process 370 MiB bigger for good.
    probe = f"""
import random, string
from pathlib import Path
from memory_service.embeddings.onnx_runtime import OnnxEncoder
def rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
encoder = OnnxEncoder.load(Path({str(only_folder(cache_root(onnx_data_dir)))!r}))
rng = random.Random(7)
short = [f"my dog number {{i}} likes walks" for i in range(16)]
for _ in range(20):
    encoder.encode(short)
before = rss_mib()
for _ in range(3):
    encoder.encode(["".join(rng.choice(string.printable + "äö漢😀") for _ in range(20000)) for _ in range(32)])
    encoder.encode(short)
print(before, rss_mib())
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    before, after = map(int, result.stdout.split())
    assert after - before < 150, f"RSS {before} -> {after} MiB"


def truncate_model(folder: Path) -> None:
    with (folder / MODEL_FILE).open("r+b") as handle:
        handle.truncate(1000)


def remove_manifest(folder: Path) -> None:
    (folder / MANIFEST_FILE).unlink()  # a folder left by an older, non-atomic writer or a careless copy


def spoil_probe(folder: Path) -> None:
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest["probe_vector"] = [-x for x in manifest["probe_vector"]]  # what damaged weights would produce
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))


@pytest.mark.parametrize("damage", [truncate_model, remove_manifest, spoil_probe])
def test_a_damaged_cache_folder_is_rebuilt(
    damage: Any, onnx_data_dir: Path, sentence_model: Any, tmp_path: Path
) -> None:
    root = tmp_path / "onnx"
    shutil.copytree(cache_root(onnx_data_dir), root)
    folder = only_folder(root)
    damage(folder)
    recorder = Recorder(sentence_model)
    loaded = open_onnx_model(DEFAULT_EMBEDDING_MODEL, MODEL_PATH, root, recorder)
    assert recorder.calls == 1 and loaded.folder == folder
    assert Manifest.read(folder).probe_text  # whole again
    assert names_in(root) == [folder.name]  # no staging or trash left behind
    reference = sentence_model.encode(["I live in Berlin"], normalize_embeddings=True)[0]
    assert cosine_distance(loaded.encode(["I live in Berlin"])[0], reference) <= 1e-4


def test_publishing_is_atomic_and_the_first_export_wins(tmp_path: Path) -> None:
    final = tmp_path / "model-0123"
    with staging_folder(tmp_path) as first, staging_folder(tmp_path) as second:
        (first / "who").write_text("first")
        (second / "who").write_text("second")
        assert publish(first, final) is True
        assert publish(second, final) is False  # a concurrent exporter loses quietly
    assert (final / "who").read_text() == "first"
    assert names_in(tmp_path) == [final.name]


async def test_auto_runs_onnx_under_the_same_model_id(onnx_data_dir: Path) -> None:
    settings = embedding_settings()
    assert settings.backend == "auto"
    async with open_local_model(settings, cache_dir=cache_root(onnx_data_dir)) as local:
        assert (local.runtime, local.model_id) == ("onnx", "all-MiniLM-L6-v2")
        [vector] = await local.encode(["hello"])
        assert vector.dtype == np.float32


async def test_the_torch_backend_still_works(sentence_model: Any, tmp_path: Path) -> None:
    settings = embedding_settings(EMBEDDING_BACKEND="torch")
    async with open_local_model(settings, sentence_model, cache_dir=tmp_path) as local:
        assert (local.runtime, local.model_id) == ("torch", "all-MiniLM-L6-v2")
        vectors = await local.encode(TEXTS[:3])
    reference = sentence_model.encode(TEXTS[:3], normalize_embeddings=True)
    assert all(cosine_distance(v, r) <= 1e-6 for v, r in zip(vectors, reference, strict=True))
    assert names_in(tmp_path) == []  # torch never exports


@pytest.fixture(scope="module")
def dense_model(sentence_model: Any) -> Any:
    """The packaged model with a Dense layer on top: a pipeline the ONNX backend does not reproduce."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense

    return SentenceTransformer(modules=[sentence_model[0], sentence_model[1], Dense(384, 64)], device="cpu")


async def test_auto_falls_back_to_torch_for_a_pipeline_onnx_cannot_reproduce(dense_model: Any, tmp_path: Path) -> None:
    with pytest.raises(NotExportable, match="Dense"):
        pipeline_shape(dense_model)
    async with open_local_model(embedding_settings(), dense_model, cache_dir=tmp_path) as local:
        assert local.runtime == "torch"
        [vector] = await local.encode(["hello"])
        assert vector.shape == (64,)
    assert names_in(tmp_path) == []  # nothing half-written left behind


async def test_onnx_backend_fails_at_start_with_a_clear_message(dense_model: Any, tmp_path: Path) -> None:
    settings = embedding_settings(EMBEDDING_BACKEND="onnx")
    with pytest.raises(ConfigError, match=r"MEMORY_EMBEDDING_BACKEND=onnx, but .* Dense"):
        async with open_local_model(settings, dense_model, cache_dir=tmp_path):
            pass
    on_gpu = dataclasses.replace(settings, device="cuda")
    with pytest.raises(ConfigError, match="MEMORY_EMBEDDING_DEVICE=cuda"):
        async with open_local_model(on_gpu, dense_model, cache_dir=tmp_path):
            pass
    with pytest.raises(OnnxUnavailable, match="not a local model folder"):
        open_onnx_model("some-org/some-hub-model", "some-org/some-hub-model", tmp_path, lambda: None)
