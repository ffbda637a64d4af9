"""`make bench`: runs the benchmark suite, keeps each script's JSON, and writes a JSON report and a Markdown table.

    python benchmarks/report.py [--out bench-results] [--only NAME ...] [--quick] [--from-json]

Each benchmark is a script under benchmarks/ that prints one JSON object. They run
one after another (never two at once: they would share the cores), each in its own
process; a failure is recorded and the suite goes on. Written to --out:

- `<name>.json`: the script's output as printed;
- `report.json`: every result with its command, duration and exit status;
- `report.md`: the headline figures (and the goals they are held to), which README's
  "Measured" section quotes.

--quick runs smaller versions (minutes instead of the better part of an hour), for a
first look; --from-json only rewrites report.md from the JSON files already in --out.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class Headline:
    label: str
    path: str  # dot path into the script's JSON; list items by index
    goal: str = ""


@dataclasses.dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    args: tuple[str, ...] = ()
    quick_args: tuple[str, ...] = ()
    headlines: tuple[Headline, ...] = ()


SUITE = (
    Benchmark(
        "mem0_comparison",
        "mem0_comparison.py",
        quick_args=("--users", "10", "--latency-calls", "200", "--seconds", "5", "--rounds", "1"),
        headlines=(
            Headline("GetContext p50, ms (one caller)", "one_caller.ours_get_context_grpc.p50_ms"),
            Headline("Mem0 search p50, ms (one caller)", "one_caller.mem0_search_in_process.p50_ms"),
            Headline("GetContext p50 / Mem0 p50", "one_caller.ours_to_mem0_p50", "≤ 0.5"),
            Headline("GetContext p99 / Mem0 p99", "one_caller.ours_to_mem0_p99", "≤ 0.5"),
            Headline("32 callers: GetContext calls/s", "concurrent.ours.calls_per_s"),
            Headline("32 callers: ours / Mem0", "concurrent.ours_to_mem0", "≥ 5"),
            Headline("32 callers: ours / embedding ceiling", "concurrent.ours_to_ceiling", "≥ 0.8"),
            Headline("32 callers: p99 / p50", "concurrent.ours.p99_over_p50", "≤ 2"),
            Headline("Server RSS at the end, MiB", "server_rss_mib_at_end"),
        ),
    ),
    Benchmark(
        "retrieval",
        "retrieval/evaluate.py",
        headlines=(
            Headline("Recall@10, GetContext's ranking", "get_context_heldout.service.recall@10", "≥ 0.72"),
            Headline("Recall@5", "get_context_heldout.service.recall@5"),
            Headline("Recall@20", "get_context_heldout.service.recall@20"),
            Headline("MRR", "get_context_heldout.service.mrr"),
        ),
    ),
    Benchmark(
        "extraction",
        "extraction.py",
        quick_args=("--tasks", "200", "--calls", "200"),
        headlines=(
            Headline(
                "QueueExtraction p99, ms (worker in process)",
                "queue_extraction_with_in_process_worker_20_per_s.p99_ms",
                "≤ 5",
            ),
            Headline("Verbatim add → searchable p50, ms", "verbatim_add_to_searchable_lag.p50_ms", "≤ 250"),
        ),
    ),
    Benchmark(
        "import_rate",
        "import_rate.py",
        quick_args=("--facts", "1000", "--users", "10"),
        headlines=(
            Headline("Bulk import, local model, facts/s", "local_model_import.facts_per_second", "≥ 500"),
            Headline(
                "Bulk import, instant remote embeddings, facts/s",
                "instant_remote_embeddings_import.facts_per_second",
                "≥ 500",
            ),
            Headline("The model alone, texts/s", "local_model_alone_texts_per_second_batch_32"),
        ),
    ),
    Benchmark(
        "search_scale",
        "search_scale.py",
        args=("--full",),
        quick_args=("--totals", "10000,100000", "--heavy", "1000,10000"),
        headlines=(
            Headline("Ranking SQL p50, largest table / 10,000 facts", "p50_ratio_last_vs_first.sql", "≤ 1.2"),
            Headline("Heavy user, 100,000 facts: exact scan p50, ms", "heavy_user.100000.exact.p50_ms"),
            Headline("Heavy user, 100,000 facts: HNSW (ef 200) p50, ms", "heavy_user.100000.ann_ef200.p50_ms"),
            Headline(
                "Heavy user, 100,000 facts: HNSW top-10 overlap", "heavy_user.100000.ann_ef200.top10_overlap_with_exact"
            ),
        ),
    ),
    Benchmark(
        "footprint",
        "footprint.py",
        quick_args=("--minutes", "2"),
        headlines=(
            Headline("Server RSS after warm-up, MiB", "rss_mib_after_warm_up_1000_calls"),
            Headline("RSS growth, MiB per minute", "growth_mib_per_minute_after_minute_1", "≈ 0"),
        ),
    ),
    Benchmark(
        "event_log_ceiling",
        "event_log_ceiling.py",
        quick_args=("--seconds", "5", "--processes", "1", "4"),
        headlines=(
            Headline("QueueExtraction tx/s, 1 writer process", "queue_with_event.0.per_second"),
            Headline("QueueExtraction tx/s, 4 writer processes", "queue_with_event.-1.per_second"),
            Headline("The same with the counter row (before), 4 processes", "queue_with_counter_event.-1.per_second"),
            Headline("Task insert alone (the database), 4 processes", "insert_only.-1.per_second"),
        ),
    ),
    Benchmark(
        "scale_out",
        "scale_out.py",
        quick_args=("--seconds", "10", "--tasks", "200"),
        headlines=(
            Headline("GetContext calls/s, 2 replicas / 1", "get_context.throughput_ratio"),
            Headline("GetContext p99, 2 replicas / 1", "get_context.p99_ratio"),
            Headline("Tasks/s, 2 workers / 1", "extraction.throughput_ratio"),
        ),
    ),
    Benchmark(
        "embedding_backends",
        "embedding_backends.py",
        headlines=(
            Headline("ONNX one query p50, ms", "onnx.one_query.p50_ms"),
            Headline("torch one query p50, ms", "torch.one_query.p50_ms"),
            Headline("Largest cosine distance ONNX vs torch", "max_cosine_distance", "≤ 1e-4"),
        ),
    ),
)


def lookup(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, list):
            try:
                data = data[int(part)]
            except (ValueError, IndexError):
                return None
        elif isinstance(data, dict):
            if part not in data:
                return None
            data = data[part]
        else:
            return None
    return data


def shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, (dict, list)):
        return "see JSON"
    return str(value)


def run(benchmark: Benchmark, quick: bool, out: Path) -> dict[str, Any]:
    command = [sys.executable, str(ROOT / "benchmarks" / benchmark.script)]
    command += list(benchmark.quick_args if quick else benchmark.args)
    print(f"bench: {benchmark.name}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
    began = time.monotonic()
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = round(time.monotonic() - began, 1)
    entry: dict[str, Any] = {"command": command[1:], "seconds": seconds, "exit_status": finished.returncode}
    try:
        entry["result"] = json.loads(finished.stdout)
        (out / f"{benchmark.name}.json").write_text(json.dumps(entry["result"], indent=2) + "\n")
    except ValueError:
        entry["error"] = (finished.stderr or finished.stdout)[-2000:]
    print(f"bench: {benchmark.name}: exit {finished.returncode} after {seconds} s", file=sys.stderr, flush=True)
    return entry


def markdown(results: dict[str, dict[str, Any]], when: str) -> str:
    lines = [
        f"Benchmarks of {when} on {platform.machine()} with {_cores()} cores (`make bench`; JSON beside this file).",
        "",
        "| Benchmark | Figure | Measured | Goal |",
        "|---|---|---|---|",
    ]
    for benchmark in SUITE:
        entry = results.get(benchmark.name)
        if entry is None:
            continue
        if "result" not in entry:
            lines.append(f"| {benchmark.name} | did not finish (exit {entry.get('exit_status')}) | — | |")
            continue
        for headline in benchmark.headlines:
            value = shown(lookup(entry["result"], headline.path))
            lines.append(f"| {benchmark.name} | {headline.label} | {value} | {headline.goal} |")
    return "\n".join(lines) + "\n"


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--only", nargs="+", choices=[b.name for b in SUITE])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--from-json", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    report_path = args.out / "report.json"
    results: dict[str, dict[str, Any]] = {}
    if report_path.exists():  # a partial run (--only) keeps the other benchmarks' latest results
        results = json.loads(report_path.read_text()).get("benchmarks", {})
    if args.from_json:
        for benchmark in SUITE:
            path = args.out / f"{benchmark.name}.json"
            if path.exists():
                results.setdefault(benchmark.name, {})["result"] = json.loads(path.read_text())
    else:
        for benchmark in SUITE:
            if args.only and benchmark.name not in args.only:
                continue
            results[benchmark.name] = run(benchmark, args.quick, args.out)
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = {"generated": when, "quick": args.quick, "benchmarks": results}
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(results, when)
    (args.out / "report.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
