"""A real HTTP server that speaks the OpenAI chat-completions API and answers from a script.

The service reaches it through the real openai client, exactly as it would reach
Ollama or OpenAI. A test scripts answers per call: JSON content, raw text,
HTTP errors, or delays (to time a request out or to hold a worker mid-task).
"""

from __future__ import annotations

import ast
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FACT_PROMPT_MARKER = "Personal Information Organizer"
RECONCILE_PROMPT_MARKER = "smart memory manager"


@dataclass
class Reply:
    """One scripted answer."""

    content: str | None = None  # the assistant message text
    status: int = 200  # non-200: an error body is returned
    delay: float = 0.0  # seconds to wait before answering
    raw_body: bytes | None = None  # sent as is (malformed responses)
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers (Retry-After)


@dataclass
class Call:
    kind: str  # "facts", "reconcile" or "other"
    user_message: str
    prompt: str
    at: float
    headers: dict[str, str]


def new_facts_in(call: Call) -> list[str]:
    """The new facts Mem0's reconciliation prompt lists (the last ``` block holds their Python repr)."""
    blocks = call.prompt.split("```")
    return [str(fact) for fact in ast.literal_eval(blocks[-2].strip())]


def add_every_new_fact(call: Call) -> Reply:
    """A reconciliation answer that keeps every new fact (event ADD) and touches nothing else."""
    return memory_reply(
        *({"id": str(1000 + i), "text": fact, "event": "ADD"} for i, fact in enumerate(new_facts_in(call)))
    )


def facts_reply(*facts: str) -> Reply:
    return Reply(json.dumps({"facts": list(facts)}))


def memory_reply(*entries: dict[str, str]) -> Reply:
    return Reply(json.dumps({"memory": list(entries)}))


@dataclass
class Script:
    """Answers by kind of call; the default extracts nothing and changes nothing."""

    on_facts: Callable[[Call], Reply] = lambda call: facts_reply()
    on_reconcile: Callable[[Call], Reply] = lambda call: memory_reply()
    on_other: Callable[[Call], Reply] = lambda call: Reply(json.dumps({}))


class FakeLlm:
    """port=0 picks a free port; a fixed port lets a test stop the server and start it again (an LLM restart)."""

    def __init__(self, port: int = 0) -> None:
        self.script = Script()
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> FakeLlm:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def calls_of(self, kind: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.kind == kind]

    def _answer(self, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        messages = body.get("messages", [])
        prompt = "\n".join(str(m.get("content", "")) for m in messages)
        user = str(messages[-1].get("content", "")) if messages else ""
        if FACT_PROMPT_MARKER in prompt:
            kind = "facts"
        elif RECONCILE_PROMPT_MARKER in prompt:
            kind = "reconcile"
        else:
            kind = "other"
        call = Call(kind, _conversation_user_line(user), prompt, time.monotonic(), headers)
        with self._lock:
            self.calls.append(call)
        handler = {"facts": self.script.on_facts, "reconcile": self.script.on_reconcile}.get(kind, self.script.on_other)
        return handler(call)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle on, the body waited for the client's delayed ACK
            # (about 40 ms per call on a kept-alive connection), which a real endpoint does not cost.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": "not found"}})
                    return
                reply = fake._answer(body, {k.lower(): v for k, v in self.headers.items()})
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.raw_body is not None:
                    self._send_bytes(200, reply.raw_body)
                elif reply.status != 200:
                    error = {"error": {"message": "scripted failure", "type": "server_error"}}
                    self._send(reply.status, error, reply.headers)
                else:
                    self._send(200, _completion(body.get("model", "fake"), reply.content or ""), reply.headers)

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                self._send_bytes(status, json.dumps(payload).encode(), headers)

            def _send_bytes(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        return Handler


def _conversation_user_line(prompt: str) -> str:
    """The user's words inside Mem0's fact prompt ("Input:\\nuser: ...\\nassistant: ...")."""
    for line in prompt.splitlines():
        if line.startswith("user: "):
            return line.removeprefix("user: ")
    return prompt


def _completion(model: str, content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


__all__ = ["Call", "FakeLlm", "Reply", "Script", "facts_reply", "memory_reply"]
