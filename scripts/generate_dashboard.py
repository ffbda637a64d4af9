"""Writes deploy/grafana/voxbridge-memory.json, the Grafana dashboard built on the service's metrics.

    python scripts/generate_dashboard.py          # or: make dashboard

Generated rather than hand-edited, so every panel has the same shape and a test can
check that each query only names series the service exports (tests/unit/test_dashboards.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "deploy" / "grafana" / "voxbridge-memory.json"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
WIDTH = 24
DATASOURCE_VARIABLE = {
    "name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus", "current": {},
    "hide": 0, "refresh": 1,
}  # fmt: skip


def quantile(q: float, series: str, by: str = "", where: str = "") -> str:
    group = f"le{', ' + by if by else ''}"
    return f"histogram_quantile({q}, sum by ({group}) (rate({series}_bucket{{{where}}}[$__rate_interval])))"


def panel(title: str, targets: list[tuple[str, str]], *, unit: str = "short", kind: str = "timeseries",
          description: str = "", width: int = 12) -> dict[str, Any]:  # fmt: skip
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}} if kind == "timeseries" else {},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(targets)
        ],
        "_width": width,
    }


ROWS: list[tuple[str, list[dict[str, Any]]]] = [
    ("Hot path", [
        panel("GetContext latency", [
            (quantile(0.5, "memory_rpc_duration_seconds", where='method="GetContext"'), "p50"),
            (quantile(0.99, "memory_rpc_duration_seconds", where='method="GetContext"'), "p99"),
        ], unit="s", description="From arrival to answer, all replicas; the voice budget is tens of milliseconds."),
        panel("Calls per second by method", [
            ('sum by (method) (rate(memory_rpc_duration_seconds_count[$__rate_interval]))', "{{method}}"),
        ], unit="reqps"),
        panel("Errors per second by status", [
            ('sum by (code) (rate(memory_rpc_duration_seconds_count{code!="OK"}[$__rate_interval]))', "{{code}}"),
        ], unit="reqps", description="CANCELLED is mostly watchers hanging up; UNAVAILABLE and INTERNAL need a look."),
        panel("Calls in flight", [
            ("sum by (kind) (memory_rpc_in_flight)", "{{kind}}"),
        ]),
    ]),
    ("Extraction queue", [
        panel("Tasks by status", [
            ('max by (status) (memory_queue_tasks{status=~"pending|processing|failed"})', "{{status}}"),
        ], description="Cluster-wide (every process reports the same value: max)."),
        panel("Oldest pending task", [
            ("max(memory_queue_oldest_pending_age_seconds)", "age"),
        ], unit="s"),
        panel("Attempts per second by outcome", [
            ("sum by (outcome) (rate(memory_extraction_duration_seconds_count[$__rate_interval]))", "{{outcome}}"),
        ], unit="ops"),
        panel("Failed attempts by reason", [
            ("sum by (reason) (rate(memory_extraction_failures_total[$__rate_interval]))", "{{reason}}"),
        ], unit="ops"),
        panel("Extraction duration", [
            (quantile(0.5, "memory_extraction_duration_seconds", where='outcome="completed"'), "p50"),
            (quantile(0.95, "memory_extraction_duration_seconds", where='outcome="completed"'), "p95"),
        ], unit="s"),
        panel("LLM latency and tokens", [
            (quantile(0.95, "memory_llm_request_duration_seconds", by="result"), "p95 {{result}}"),
            ("sum by (kind) (rate(memory_llm_tokens_total[$__rate_interval]))", "{{kind}} tokens/s"),
        ]),
    ]),
    ("Embeddings", [
        panel("Queue wait p99 by priority", [
            (quantile(0.99, "memory_embedding_queue_wait_seconds", by="priority"), "{{priority}}"),
        ], unit="s", width=8),
        panel("Model call p99 and batch size", [
            (quantile(0.99, "memory_embedding_duration_seconds"), "call p99 (s)"),
            ("sum(rate(memory_embedding_batch_size_sum[$__rate_interval])) / "
             "sum(rate(memory_embedding_batch_size_count[$__rate_interval]))", "mean batch"),
        ], width=8),
        panel("Cache hit ratio", [
            ('sum(rate(memory_embedding_cache_requests_total{result="hit"}[$__rate_interval])) / '
             "sum(rate(memory_embedding_cache_requests_total[$__rate_interval]))", "hits"),
        ], unit="percentunit", width=8),
        panel("GetContext shed by the embedder", [
            ("sum by (how) (rate(memory_embedding_shed_texts_total[$__rate_interval]))", "{{how}}"),
        ], unit="ops", width=8, description="Queries refused or dropped because their deadline would pass first."),
    ]),
    ("Database and events", [
        panel("Pool connections", [
            ('sum by (state) (memory_db_pool_connections{state=~"in_use|idle"})', "{{state}}"),
            ("sum(memory_db_pool_waiters)", "waiting"),
        ], width=8),
        panel("Pool acquire p99", [
            (quantile(0.99, "memory_db_pool_acquire_seconds"), "p99"),
        ], unit="s", width=8),
        panel("Database reachable", [
            ("min(memory_database_up)", "up"),
        ], kind="stat", width=8),
        panel("Events appended per second", [
            ("sum by (type) (rate(memory_events_appended_total[$__rate_interval]))", "{{type}}"),
        ], unit="ops", width=8),
        panel("Watchers", [("sum(memory_watchers)", "open streams")], width=8),
        panel("Event fan-out lag", [("max(memory_event_hub_lag_seconds)", "lag")], unit="s", width=8),
        panel("Event relay", [
            ("sum(rate(memory_events_relayed_total[$__rate_interval]))", "relayed/s"),
            ("max(memory_event_outbox_pending)", "waiting in the outbox"),
            ("sum(memory_event_relay_leader)", "leaders"),
        ], width=8),
    ]),
    ("Processes and model switch", [
        panel("Resident memory by process", [
            ("process_resident_memory_bytes", "{{instance}}"),
        ], unit="bytes"),
        panel("Re-embedding progress", [
            ('max(memory_reembedding_facts{state="done"}) / clamp_min(max(memory_reembedding_facts{state="total"}), 1)',
             "done"),
        ], unit="percentunit", description="Only while an embedding model switch runs."),
    ]),
]  # fmt: skip


def dashboard() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    y = 0
    next_id = 1
    for title, row_panels in ROWS:
        panels.append({"type": "row", "title": title, "id": next_id, "collapsed": False,
                       "gridPos": {"h": 1, "w": WIDTH, "x": 0, "y": y}, "panels": []})  # fmt: skip
        next_id += 1
        y += 1
        x = 0
        for item in row_panels:
            width = item.pop("_width")
            if x + width > WIDTH:
                x, y = 0, y + 8
            panels.append({**item, "id": next_id, "gridPos": {"h": 8, "w": width, "x": x, "y": y}})
            next_id += 1
            x += width
        y += 8
    return {
        "uid": "voxbridge-memory",
        "title": "VoxBridge Memory",
        "description": "The memory service: hot path, extraction queue, embeddings, database, processes.",
        "tags": ["voxbridge-memory"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "time": {"from": "now-3h", "to": "now"},
        "templating": {"list": [DATASOURCE_VARIABLE]},
        "annotations": {"list": []},
        "links": [],
        "panels": panels,
    }


def render() -> str:
    return json.dumps(dashboard(), indent=2) + "\n"


def main() -> None:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(render())
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
