"""The client's example bot, run as the README says, against a real service with a worker."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.support.harness import Service

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "clients" / "python" / "examples" / "voice_bot.py"


async def test_the_example_bot_answers_from_what_it_was_told(service: Service) -> None:
    """With a long deadline: on a loaded test machine 100 ms may pass, and the bot would rightly go on without."""
    service.start_worker()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE), "--target", service.address, "--user", "example-user", "--deadline", "10",
        cwd=ROOT, env=environ, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    text = output.decode()
    assert process.returncode == 0, text
    before_last_reply = text.rsplit("bot>", 1)[0]
    assert "- My son is allergic to nuts" in before_last_reply.rsplit("user>", 1)[1]  # printed before the reply
    assert "Better not: you told me your son is allergic to nuts" in text
    assert text.count("completed]") == 2 and "skipped:" not in text
