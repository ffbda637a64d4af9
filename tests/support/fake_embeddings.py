"""A real HTTP server speaking the OpenAI (and Azure OpenAI) embeddings API, with deterministic vectors.

Vectors are hashed bags of words: texts sharing words point the same way, so
search results are meaningful and stable. The dimension is fixed per server
(or the request's "dimensions"), unlike the local model's 384: a switch to it
also changes the vector size.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_WORD = re.compile(r"[a-z0-9]+")


def bag_of_words(text: str, dimensions: int) -> list[float]:
    vector = [0.0] * dimensions
    for word in _WORD.findall(text.lower()):
        bucket = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big") % dimensions
        vector[bucket] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def encoded(vector: list[float], as_base64: bool) -> str | list[float]:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode() if as_base64 else vector


class FakeEmbeddings:
    def __init__(self, dimensions: int = 64) -> None:
        self.dimensions = dimensions
        self.requests: list[dict[str, Any]] = []  # what each call asked for: path, model, inputs, headers
        self.delay = 0.0  # seconds each call takes before it answers (a slow or busy model)
        # Like OpenAI, base64 float32 when a call asks for it; several compatible servers always send float lists.
        self.honours_base64 = True
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def azure_endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def texts_embedded(self) -> list[str]:
        with self._lock:
            return [text for request in self.requests for text in request["input"]]

    def __enter__(self) -> FakeEmbeddings:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle on, the body waited for the client's delayed ACK
            # (about 40 ms per call on a kept-alive connection), which a real endpoint does not cost.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                path = self.path.split("?", 1)[0]
                if not path.endswith("/embeddings"):
                    self._send(404, {"error": {"message": "not found"}})
                    return
                inputs = body.get("input", [])
                inputs = [inputs] if isinstance(inputs, str) else list(inputs)
                dimensions = int(body.get("dimensions") or fake.dimensions)
                with fake._lock:
                    fake.requests.append(
                        {"path": self.path, "model": body.get("model"), "input": inputs, "headers": dict(self.headers)}
                    )
                time.sleep(fake.delay)
                base64_wanted = fake.honours_base64 and body.get("encoding_format") == "base64"
                data = [
                    {
                        "object": "embedding",
                        "index": i,
                        "embedding": encoded(bag_of_words(text, dimensions), base64_wanted),
                    }
                    for i, text in enumerate(inputs)
                ]
                self._send(200, {"object": "list", "data": data, "model": body.get("model"), "usage": {}})

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
