"""The project's Markdown documentation as tests read it: files, code, links, headings, and the config generator."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "scripts" / "generate_config_docs.py"

FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"`([^`\n]+)`")


def documents() -> list[Path]:
    """The documentation this repository ships: the top-level guides, deploy/README.md and docs/."""
    return [ROOT / "README.md", ROOT / "DEVELOPERS.md", ROOT / "deploy" / "README.md", *sorted(ROOT.glob("docs/*.md"))]


def load_config_docs_generator() -> ModuleType:
    """scripts/generate_config_docs.py as a module (registered first: its dataclasses look themselves up there)."""
    if "generate_config_docs" in sys.modules:
        return sys.modules["generate_config_docs"]
    spec = importlib.util.spec_from_file_location("generate_config_docs", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def code_blocks(text: str, language: str | None = None) -> list[str]:
    return [body for lang, body in FENCE.findall(text) if language is None or lang.strip() == language]


def prose(text: str) -> str:
    """The text outside fenced code blocks and inline code: where links and headings live."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def code(text: str) -> list[str]:
    """Fenced blocks and inline code spans: where commands live."""
    return code_blocks(text) + INLINE_CODE.findall(FENCE.sub("", text))


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives the headings: lower case, punctuation dropped, spaces to hyphens, -1 for repeats."""
    found: set[str] = set()
    for line in FENCE.sub("", text).splitlines():
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(1)).replace("`", "")
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        candidate, n = slug, 0
        while candidate in found:
            n += 1
            candidate = f"{slug}-{n}"
        found.add(candidate)
    return found


def sh_block_after(text: str, marker: str) -> str:
    """The first ```sh block after a marker (a heading or the start of a paragraph)."""
    assert text.count(marker) >= 1, f"no {marker!r}"
    blocks = code_blocks(text.split(marker, 1)[1], "sh")
    assert blocks, f"no sh block after {marker!r}"
    return blocks[0]
