"""The client's example bot, run as the README says, against a real service with a worker."""

from __future__ import annotations

import ast
import asyncio
import os
import re
import shlex
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.harness import Service

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def readme_command() -> list[str]:
    """The example's command line from the README's "Run the example" block, without its comment."""
    section = README.read_text().split("### Run the example", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, "no sh block under 'Run the example'"
    [line] = [line for line in match.group(1).splitlines() if "examples/voice_bot.py" in line]
    command = shlex.split(line.split("#", 1)[0])
    assert command[0] == ".venv/bin/python" and (ROOT / command[1]).is_file()
    return [sys.executable, *command[1:]]  # this test's interpreter is that venv's python, wherever it lies


async def test_the_example_bot_answers_from_what_it_was_told(service: Service) -> None:
    """With a long deadline: on a loaded test machine 100 ms may pass, and the bot would rightly go on without."""
    service.start_worker()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
    environ["MEMORY_TARGET"] = service.address  # instead of the default 127.0.0.1:50051
    process = await asyncio.create_subprocess_exec(
        *readme_command(), "--user", "example-user", "--deadline", "10",
        cwd=ROOT, env=environ, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    text = output.decode()
    assert process.returncode == 0, text
    before_last_reply = text.rsplit("bot>", 1)[0]
    assert "- My son is allergic to nuts" in before_last_reply.rsplit("user>", 1)[1]  # printed before the reply
    assert "Better not: you told me your son is allergic to nuts" in text
    assert text.count("completed]") == 2 and "skipped:" not in text


def python_blocks(heading: str, until: str) -> list[str]:
    section = README.read_text().split(heading, 1)[1].split(until, 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


async def test_the_readme_bot_snippet_runs_as_written(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks("## The Python client", "## The web UI and the HTTP gateway")
    for block in blocks:
        ast.parse(block)  # every snippet of the section is valid Python
    namespace: dict[str, Any] = {}
    exec(blocks[0], namespace)  # defines answer_calls(calls, llm)
    monkeypatch.setenv("MEMORY_TARGET", service.address)
    prompts: list[str] = []

    async def calls() -> AsyncIterator[tuple[str, str, str]]:
        yield "call-1", "alice", "I am vegetarian"
        yield "call-1", "alice", "What should I cook?"

    async def llm(memories: str, user_text: str) -> str:
        prompts.append(memories)
        return f"reply to {user_text}"

    await namespace["answer_calls"](calls(), llm)  # leaving its `async with` waited for the queued turns
    listed = await service.stub.ListExtractions(pb.ListExtractionsRequest(user_id="alice"))
    assert sorted((t.user_message, t.ai_response, t.session_id, t.agent_id) for t in listed.tasks) == [
        ("I am vegetarian", "reply to I am vegetarian", "call-1", "chef-bot"),
        ("What should I cook?", "reply to What should I cook?", "call-1", "chef-bot"),
    ]
    assert len(prompts) == 2


async def test_the_pipecat_example_answers_from_memory(service: Service) -> None:
    service.start_worker()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "clients/python/examples/pipecat_bot.py"),
        "--target", service.address, "--user", "pipecat-user", "--deadline", "10",
        cwd=ROOT, env=environ, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    text = output.decode()
    assert process.returncode == 0, text
    before_last_reply = text.rsplit("bot>", 1)[0]
    assert "- My son is allergic to nuts" in before_last_reply.rsplit("user>", 1)[1]
    assert "Better not: you told me your son is allergic to nuts" in text
    assert text.count("completed]") == 2
