"""README's gateway commands run as written: the real `memory-gateway` process, then the curl walkthrough."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from tests.api.test_readme import README, ROOT, run_script
from tests.support.harness import Service
from tests.support.processes import free_port

# The console scripts of the environment running the tests (.venv/bin after `make install`).
BIN = Path(sys.executable).parent


def gateway_blocks() -> list[str]:
    section = README.read_text().split("## The web UI and the HTTP gateway", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.DOTALL)


async def test_the_gateway_walkthrough_runs_as_written(service: Service) -> None:
    service.start_worker()
    start, walkthrough = gateway_blocks()
    assert "--listen 127.0.0.1:8080 --target 127.0.0.1:50051" in start
    port = free_port()
    gateway = await asyncio.create_subprocess_exec(
        str(BIN / "memory-gateway"), "--listen", f"127.0.0.1:{port}", "--target", service.address,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        script = walkthrough.replace("http://127.0.0.1:8080", f"http://127.0.0.1:{port}")
        code, out, err = await run_script(script)
    finally:
        gateway.terminate()
        logs, _ = await gateway.communicate()
    assert code == 0, f"a README command failed:\n{err[-3000:]}\ngateway:\n{logs.decode()[-3000:]}"
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it: the process ends "by" the signal, cleanly.
    assert "Application shutdown complete" in logs.decode(), logs.decode()[-3000:]
    assert f"memory-gateway on http://127.0.0.1:{port}/" in logs.decode()
    assert '"user_id":"discord/guild:42/user#7"' in out and '"text":"city: Berlin"' in out
    assert '"context":"<user_memories>' in out and '"display_name":"Zoë"' in out
    assert '"status":"pending"' in out and '"per_agent":{}' in out
    assert "event: ready" in out and "event: queued" in out
    assert '"reason":"CONFIRMATION_MISMATCH"' in out
