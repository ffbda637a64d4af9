"""Users' memories are private: importing and using Mem0 through the service never reaches the network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = r"""
import json, socket, sys
attempts = []
real_connect = socket.socket.connect
def recording_connect(self, address):
    attempts.append(repr(address))
    raise OSError("network disabled by the test")
socket.socket.connect = recording_connect
socket.create_connection = lambda address, *a, **k: recording_connect(None, address)

from memory_service.extraction.mem0_logic import load_mem0_logic
logic = load_mem0_logic(__import__("pathlib").Path(sys.argv[1]))
import datetime
system, user = logic.fact_extraction_prompt("My name is Alice", "Hi Alice!", datetime.date.today())
parsed = logic.parse_answer('```json\n{"facts": ["Name is Alice"]}\n```')
import mem0.memory.telemetry as telemetry
print(json.dumps({"attempts": attempts, "telemetry": telemetry.MEM0_TELEMETRY, "facts": logic.facts_of(parsed)}))
"""


def test_mem0_telemetry_is_off_even_when_the_environment_asks_for_it(tmp_path: Path) -> None:
    env = {**os.environ, "MEM0_TELEMETRY": "True"}  # a user's shell may set it; the service overrides it
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "mem0")], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"attempts": [], "telemetry": False, "facts": ["Name is Alice"]}
    assert not list((tmp_path / "mem0").glob("*.db"))
