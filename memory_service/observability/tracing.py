"""OpenTelemetry spans, as an option: one per RPC, with database and embedding work as children.

Off by default (MEMORY_TRACING=off), and then free: span() hands back a shared no-op
context manager without touching OpenTelemetry at all. With MEMORY_TRACING=otlp the
`tracing` extra (opentelemetry-sdk and the OTLP/HTTP exporter) sends spans to the
collector named by the standard OTEL_EXPORTER_OTLP_ENDPOINT (default localhost:4318);
OTEL_SERVICE_NAME and the other OTEL_* variables apply as usual. The caller's trace
context is taken from the call's `traceparent` metadata (W3C Trace Context).

Spans carry method names, sizes and status codes, never user ids or text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

_tracer: Any = None  # an OpenTelemetry Tracer once configured; None: tracing is off


def configure(enabled: bool, *, exporter: Any = None) -> None:
    """Turns tracing on (with the OTLP exporter, or `exporter` for tests) or off, for this process."""
    global _tracer
    if not enabled:
        _tracer = None
        return
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError as exc:  # the extra is not installed
        from memory_service.config import ConfigError

        raise ConfigError(
            "MEMORY_TRACING=otlp needs the tracing extra: pip install 'voxbridge-memory[tracing]'"
        ) from exc
    provider = TracerProvider(resource=Resource.create({"service.name": "voxbridge-memory"}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    _tracer = provider.get_tracer("memory_service")


@contextlib.contextmanager
def _noop() -> Iterator[None]:
    yield


def span(name: str, **attributes: str | int | float | bool) -> contextlib.AbstractContextManager[Any]:
    """A child span of the current one (or nothing when tracing is off)."""
    if _tracer is None:
        return _noop()
    return _tracer.start_as_current_span(name, attributes=attributes)  # type: ignore[no-any-return]


def server_span(method: str, metadata: Iterable[tuple[str, Any]] | None) -> contextlib.AbstractContextManager[Any]:
    """The span of one RPC, continuing the caller's trace when its metadata carries one."""
    if _tracer is None:
        return _noop()
    from opentelemetry.propagate import extract
    from opentelemetry.trace import SpanKind

    carrier = {key: value for key, value in metadata or () if isinstance(value, str)}
    return _tracer.start_as_current_span(  # type: ignore[no-any-return]
        f"memory/{method}", context=extract(carrier), kind=SpanKind.SERVER, attributes={"rpc.method": method}
    )


def set_status_code(code: str) -> None:
    """Records the call's gRPC status on the current span."""
    if _tracer is None:
        return
    from opentelemetry import trace

    current = trace.get_current_span()
    current.set_attribute("rpc.grpc.status_code", code)
    if code not in ("OK", "CANCELLED"):
        from opentelemetry.trace import Status, StatusCode

        current.set_status(Status(StatusCode.ERROR, code))
