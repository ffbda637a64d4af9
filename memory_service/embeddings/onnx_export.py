"""Exports a loaded sentence-transformers model to an ONNX cache folder, and proves the export reproduces it.

Only pipelines the runtime reproduces exactly are exported: Transformer → Pooling (mean or CLS) → optional
Normalize, with no prompt. The export is then checked on probe texts against sentence-transformers itself.
"""

from __future__ import annotations

import copy
import logging
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from memory_service.embeddings.onnx_cache import FORMAT, MODEL_FILE, TOKENIZER_FILE, Manifest, Pooling
from memory_service.embeddings.onnx_runtime import OnnxEncoder, cosine_distance

log = logging.getLogger(__name__)

# ONNX vectors must be this close (cosine distance) to sentence-transformers' on every probe text.
EXPORT_TOLERANCE = 1e-4
OPSET = 17
# Short and long (past 256 tokens, so truncation is exercised), cased, non-English, emoji, near-empty.
PROBE_TEXTS = (
    "I live in Berlin and work as a nurse.",
    "My favourite food is SUSHI, and I'm allergic to peanuts!",
    " ".join(f"Sentence {i} of a long story about a trip to the mountains with my dog." for i in range(60)),
    "Ich wohne in München und mag Käsespätzle.",
    "我住在上海，喜欢喝茶。",  # noqa: RUF001  (the full-width comma is the point)
    "Je m'appelle Zoé 🙂 et j'adore le café ☕",
    "🎉🎉🎉",
    "",
    "   ",
    "ok",
)
TOKEN_INPUTS = ("input_ids", "token_type_ids", "attention_mask")


class NotExportable(Exception):
    """ONNX Runtime cannot reproduce this model exactly; the message says why."""


def pipeline_shape(model: Any) -> tuple[Pooling, bool]:
    """(pooling mode, ends with Normalize) of a pipeline the runtime reproduces, else NotExportable."""
    modules = list(model)
    kinds = [type(module).__name__ for module in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise NotExportable(f"the pipeline is {' → '.join(kinds)}, not Transformer → Pooling (→ Normalize)")
    transformer, pooling = modules[0], modules[1]
    if getattr(model, "default_prompt_name", None):
        raise NotExportable("the model adds a default prompt")
    modality = getattr(transformer, "modality_config", {"text": {"method": "forward"}})
    if list(modality) != ["text"] or modality["text"].get("method") != "forward":
        raise NotExportable(f"the transformer is not a plain text encoder ({modality})")
    if getattr(transformer, "backend", "torch") != "torch" or not hasattr(transformer, "auto_model"):
        raise NotExportable("the transformer is not a torch model")
    mode = getattr(pooling, "pooling_mode", None)
    if mode is None and hasattr(pooling, "get_pooling_mode_str"):  # sentence-transformers before 6
        mode = pooling.get_pooling_mode_str()
    if mode not in ("mean", "cls"):
        raise NotExportable(f"pooling {mode!r} (only mean and cls are reproduced)")
    normalize = len(modules) == 3
    if normalize and getattr(modules[2], "module_input_name", "sentence_embedding") != "sentence_embedding":
        raise NotExportable("Normalize does not act on the sentence embedding")
    return mode, normalize


def export_model(model: Any, *, model_name: str, model_hash: str, folder: Path) -> Manifest:
    """Writes model.onnx, tokenizer.json and manifest.json into folder, verified; NotExportable if it cannot."""
    pooling, normalize = pipeline_shape(model)
    transformer = model[0]
    max_seq_length = model.max_seq_length
    if not isinstance(max_seq_length, int) or max_seq_length <= 0:
        raise NotExportable(f"max_seq_length is {max_seq_length!r}")
    hf_tokenizer = transformer.tokenizer
    if not getattr(hf_tokenizer, "is_fast", False):
        raise NotExportable("the tokenizer is not a fast (Rust) tokenizer")
    input_names = tuple(name for name in TOKEN_INPUTS if name in hf_tokenizer.model_input_names)
    if set(hf_tokenizer.model_input_names) != set(input_names) or "input_ids" not in input_names:
        raise NotExportable(f"tokenizer inputs {hf_tokenizer.model_input_names}")

    began = time.monotonic()
    _save_tokenizer(hf_tokenizer, max_seq_length, folder / TOKENIZER_FILE)
    _export_graph(transformer, hf_tokenizer, input_names, folder / MODEL_FILE)
    reference = np.asarray(
        model.encode(list(PROBE_TEXTS), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False),
        dtype=np.float32,
    )
    manifest = Manifest(
        format=FORMAT,
        model=model_name,
        source_hash=model_hash,
        input_names=input_names,
        pooling=pooling,
        max_seq_length=max_seq_length,
        dimensions=int(reference.shape[1]),
        normalize=normalize,
        model_bytes=(folder / MODEL_FILE).stat().st_size,
        probe_text=PROBE_TEXTS[0],
        probe_vector=tuple(float(x) for x in reference[0]),
    )
    manifest.write(folder)
    worst = _worst_distance(OnnxEncoder(folder, manifest), reference)
    if not worst <= EXPORT_TOLERANCE:  # NaN fails too
        raise NotExportable(f"ONNX vectors differ from sentence-transformers' by up to {worst:.1e} cosine distance")
    log.info(
        "exported the embedding model to ONNX",
        extra={"model": model_name, "seconds": round(time.monotonic() - began, 1), "max_distance": worst},
    )
    return manifest


def _save_tokenizer(hf_tokenizer: Any, max_seq_length: int, path: Path) -> None:
    """The fast tokenizer as sentence-transformers calls it: truncation to max_seq_length, padding per batch."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(hf_tokenizer.backend_tokenizer.to_str())
    tokenizer.enable_truncation(max_length=max_seq_length, direction=hf_tokenizer.truncation_side)
    tokenizer.enable_padding(
        direction=hf_tokenizer.padding_side,
        pad_id=hf_tokenizer.pad_token_id,
        pad_type_id=hf_tokenizer.pad_token_type_id,
        pad_token=hf_tokenizer.pad_token,
    )
    tokenizer.save(str(path))


def _export_graph(transformer: Any, hf_tokenizer: Any, input_names: tuple[str, ...], path: Path) -> None:
    import torch

    class TokenEmbeddings(torch.nn.Module):
        """The transformer with positional tensor inputs, as the exporter traces it."""

        def __init__(self, encoder: Any) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, *inputs: torch.Tensor) -> Any:
            return self.encoder(**dict(zip(input_names, inputs, strict=True))).last_hidden_state

    # A copy, so the caller's model (shared by tests, or still serving) keeps its attention implementation.
    encoder = copy.deepcopy(transformer.auto_model).float().eval()
    # Eager attention traces into plain MatMul/Softmax with the padding mask always applied, whatever the
    # example batch; SDPA's code path branches on Python values the tracer would freeze.
    encoder.set_attn_implementation("eager")
    # Two texts of different lengths, so the example batch has padding and the mask path is traced.
    example = hf_tokenizer(
        ["an example", "a longer example sentence to pad against"], padding=True, return_tensors="pt"
    )
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is deprecated (the dynamo one needs onnxscript), and the tracer warns about
        # shape checks in transformers' code; the probe comparison below is what proves the graph right.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            TokenEmbeddings(encoder),
            tuple(example[name] for name in input_names),
            str(path),
            input_names=list(input_names),
            output_names=["token_embeddings"],
            dynamic_axes={**{name: axes for name in input_names}, "token_embeddings": axes},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def _worst_distance(encoder: OnnxEncoder, reference: NDArray[np.float32]) -> float:
    """The largest distance to the reference, embedding the probes together and one by one."""
    texts = list(PROBE_TEXTS)
    distances = [cosine_distance(vector, reference[i]) for i, vector in enumerate(encoder.encode(texts))]
    distances += [cosine_distance(encoder.encode([text])[0], reference[i]) for i, text in enumerate(texts)]
    return max(distances)
