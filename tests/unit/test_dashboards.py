"""The Grafana dashboard and the alert rules: well-formed, current, and only about series the service exports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from grafana_foundation_sdk.models import dashboard as grafana

from memory_service.observability import metrics
from scripts import generate_dashboard

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "voxbridge-memory.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yaml"
SERIES_IN_QUERY = re.compile(r"\b((?:memory|process)_[a-z_]+)\b")


def exported_series() -> set[str]:
    """Every sample name the registry can produce (labelled families produce none until first used)."""
    names: set[str] = set()
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"], "gauge": [""], "summary": [""]}
    for family in metrics.REGISTRY.collect():
        names.update(family.name + suffix for suffix in suffixes.get(family.type, [""]))
    return names


def test_the_dashboard_is_generated_from_the_script() -> None:
    assert DASHBOARD.read_text() == generate_dashboard.render(), "run: python scripts/generate_dashboard.py"


def test_the_dashboard_passes_grafanas_own_model() -> None:
    # The Grafana Foundation SDK's types are generated from Grafana's dashboard schema. Parsing and
    # writing back drops whatever the schema does not know: a misspelt field would vanish here.
    original = json.loads(DASHBOARD.read_text())
    parsed = grafana.Dashboard.from_json(original)
    round_trip = json.loads(json.dumps(parsed.to_json(), default=lambda o: o.to_json()))
    assert contained(original, round_trip)
    ids = [p["id"] for p in original["panels"]]
    assert len(ids) == len(set(ids))
    for panel in original["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
        if panel["type"] != "row":
            assert panel["targets"] and all(t["expr"] for t in panel["targets"])


def test_every_query_names_series_the_service_exports() -> None:
    exported = exported_series()
    queries = [t["expr"] for p in json.loads(DASHBOARD.read_text())["panels"] for t in p.get("targets", [])]
    rules = [r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]]
    queries += [r["expr"] for r in rules]
    used = {name for query in queries for name in SERIES_IN_QUERY.findall(query)}
    assert used, "no series found in the queries"
    assert used <= exported, used - exported


def test_the_alert_rules_are_complete() -> None:
    rules = [r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]]
    names = {r["alert"] for r in rules}
    assert {"MemoryDatabaseUnavailable", "MemoryQueueBacklogGrowing", "MemoryExtractionFailureRate",
            "MemoryGetContextSlow"} <= names  # fmt: skip
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"]


def contained(small: Any, big: Any) -> bool:
    if isinstance(small, dict):
        return isinstance(big, dict) and all(k in big and contained(v, big[k]) for k, v in small.items())
    if isinstance(small, list):
        return isinstance(big, list) and len(small) == len(big) and all(map(contained, small, big))
    return bool(small == big)
