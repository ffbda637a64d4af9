"""Regenerates the Python stubs in clients/python/src from protos/ (run by `make proto`)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
PACKAGE_DIR = Path("voxbridge/memory/v1")
DEFAULT_OUT = ROOT / "clients/python/src"
# Hand-written files that live beside the generated ones.
PACKAGE_MARKERS = {
    "__init__.py": '"""Generated protobuf and gRPC stubs of voxbridge.memory.v1 (do not edit)."""\n',
    "py.typed": "",
}


def generate(out_root: Path) -> list[Path]:
    """Writes the stubs under out_root/voxbridge/memory/v1 and returns the files written."""
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / PACKAGE_DIR).glob("*.proto"))
    well_known = str(resources.files("grpc_tools") / "_proto")
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "grpc_tools.protoc",
            f"-I{PROTO_ROOT}",
            f"-I{well_known}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            *protos,
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
        target = out_root / PACKAGE_DIR
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(Path(tmp) / PACKAGE_DIR, target)
    for name, text in PACKAGE_MARKERS.items():
        (target / name).write_text(text)
    return sorted(target.iterdir())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="root to write voxbridge/memory/v1 under")
    args = parser.parse_args(argv)
    for path in generate(args.out):
        print(path.relative_to(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
