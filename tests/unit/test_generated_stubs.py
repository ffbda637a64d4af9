"""The committed stubs in clients/python are exactly what `make proto` generates from protos/."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "clients/python/src/voxbridge/memory/v1"


def load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("generate_protos", ROOT / "scripts/generate_protos.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_stubs_match_the_protos(tmp_path: Path) -> None:
    load_generator().generate(tmp_path)
    fresh = tmp_path / "voxbridge/memory/v1"
    fresh_files = {p.name: p.read_bytes() for p in fresh.iterdir()}
    committed_files = {p.name: p.read_bytes() for p in COMMITTED.iterdir() if p.is_file()}
    stale = sorted(
        name
        for name in fresh_files.keys() | committed_files.keys()
        if fresh_files.get(name) != committed_files.get(name)
    )
    assert not stale, f"generated stubs are stale ({', '.join(stale)}): run `make proto` and commit the result"
