"""A local model on ONNX Runtime: loaded from the export cache, or exported once, verified and cached."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from memory_service.embeddings.onnx_cache import (
    CorruptCache,
    cache_folder,
    discard,
    publish,
    source_hash,
    staging_folder,
)
from memory_service.embeddings.onnx_runtime import OnnxEncoder

log = logging.getLogger(__name__)


class OnnxUnavailable(Exception):
    """This model cannot run on ONNX Runtime here; the message says why."""


def open_onnx_model(
    model_name: str,
    model_path: str,
    cache_root: Path,
    sentence_transformer: Callable[[], Any],
    *,
    threads: int = 0,
    export_in_child: bool = False,
) -> OnnxEncoder:
    """Blocking. The cached export of the model's current files, or a new one made from sentence_transformer().

    sentence_transformer is called only when there is no usable cache folder, so a warm start never
    imports torch. A corrupt or partial folder is set aside and rebuilt. With export_in_child, the export
    runs in a child process instead, and this one never imports torch: a process that exported kept torch
    loaded for its lifetime (840 MiB idle, against 300 MiB for one started from the folder).
    """
    model_dir = Path(model_path)
    if not model_dir.is_dir():
        raise OnnxUnavailable(f"{model_path!r} is not a local model folder (hub models are not exported)")
    model_hash = source_hash(model_dir)
    folder = cache_folder(cache_root, model_name, model_hash)
    if folder.exists():
        try:
            encoder = OnnxEncoder.load(folder, threads=threads)
        except CorruptCache as exc:
            log.warning("rebuilding a bad ONNX cache folder: %s", exc, extra={"folder": str(folder)})
            discard(folder)
        else:
            log.info("ONNX model loaded from the cache", extra={"folder": str(folder)})
            return encoder
    if export_in_child:
        _export_in_child(model_name, model_hash, cache_root)
    else:
        _export(sentence_transformer(), model_name, model_hash, cache_root, folder)
    try:
        return OnnxEncoder.load(folder, threads=threads)
    except CorruptCache as exc:
        raise OnnxUnavailable(f"the exported folder does not load: {exc}") from exc


def _export(model: Any, model_name: str, model_hash: str, cache_root: Path, folder: Path) -> None:
    from memory_service.embeddings.onnx_export import NotExportable, export_model

    log.info("exporting the embedding model to ONNX (once per model)", extra={"folder": str(folder)})
    try:
        with staging_folder(cache_root) as staging:
            export_model(model, model_name=model_name, model_hash=model_hash, folder=staging)
            if not publish(staging, folder):
                log.info("another process exported the model first; using its folder")
    except NotExportable as exc:
        raise OnnxUnavailable(str(exc)) from exc
    except Exception as exc:  # the exporter, or an unwritable cache: either way torch still works
        raise OnnxUnavailable(f"the export failed ({type(exc).__name__}: {exc})") from exc


_NOT_EXPORTABLE = 3  # the child's exit status when the model cannot run on ONNX Runtime (stderr says why)


def _export_in_child(model_name: str, model_hash: str, cache_root: Path) -> None:
    log.info("exporting the embedding model to ONNX in a child process (once per model)")
    command = [sys.executable, "-m", __name__, model_name, model_hash, str(cache_root)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OnnxUnavailable(f"the export process failed ({type(exc).__name__})") from exc
    if done.returncode == _NOT_EXPORTABLE:
        raise OnnxUnavailable(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "not exportable")
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no message"]
        raise OnnxUnavailable(f"the export process failed (exit {done.returncode}: {tail[0]})")


def _main(argv: list[str]) -> int:
    """The child: loads the model with sentence-transformers, exports it into the cache, and exits."""
    from memory_service.embeddings.local import load_model

    model_name, model_hash, cache_root = argv
    folder = cache_folder(Path(cache_root), model_name, model_hash)
    try:
        _export(load_model(model_name, "cpu"), model_name, model_hash, Path(cache_root), folder)
    except OnnxUnavailable as exc:
        print(exc, file=sys.stderr)
        return _NOT_EXPORTABLE
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
