"""What each MEMORY_* variable means: the words of docs/configuration.md, kept in one place.

Only meanings live here. Types, defaults, limits and choices are read from config.py by
scripts/generate_config_docs.py (`make docs`), flags from the command-line parser, runtime
settings from runtime_settings.py. A test fails when the code reads a variable this module
does not describe, or when a description names a variable the code no longer reads.
"""

from __future__ import annotations

# Sections of the reference, in order; each maps a variable to what it means.
SERVICE_VARIABLES: dict[str, dict[str, str]] = {
    "Database and files": {
        "MEMORY_DATABASE_URL": (
            "PostgreSQL URL, `postgresql://user:password@host:5432/db` (the server needs the `vector` extension). "
            "Unset: an embedded PostgreSQL with pgvector in `$MEMORY_DATA_DIR/pgdata`, for a laptop only."
        ),
        "MEMORY_DATA_DIR": (
            "The embedded database (`pgdata/`), Mem0's scratch config (`mem0/`) and the ONNX exports of the local "
            "model (`models/onnx/`). Relative paths are taken from the working directory."
        ),
        "MEMORY_POOL_MIN_SIZE": "Connections the asyncpg pool of each process keeps open.",
        "MEMORY_POOL_MAX_SIZE": (
            "The most connections the pool of each process opens. Dedicated connections come on top: two per "
            "process (`LISTEN` for control messages, the event relay), one more for a server and one more for a "
            "worker. Must not be below `MEMORY_POOL_MIN_SIZE`."
        ),
    },
    "Server": {
        "MEMORY_LISTEN": "The gRPC address, `HOST:PORT`. Use `0.0.0.0:50051` in containers (needs `MEMORY_AUTH=required`).",
        "MEMORY_RUN_WORKER": "Whether `serve` also runs an extraction worker in its process.",
        "MEMORY_GRACE_SECONDS": "At shutdown: how long calls in flight and a worker's tasks may take before they are cut off (tasks are then given back).",
        "MEMORY_STREAM_QUEUE_SIZE": "Events buffered per `WatchExtractions` stream; a watcher further behind is cut off with a resume cursor.",
        "MEMORY_STREAM_WRITE_TIMEOUT_SECONDS": "A watcher or export reader that does not take a message for this long is cut off.",
        "MEMORY_HEARTBEAT_SECONDS": "An idle `WatchExtractions` stream gets a HEARTBEAT event this often.",
        "MEMORY_LOG_LEVEL": "Python log level name (`DEBUG`, `INFO`, `WARNING`, ...). Logs carry ids and counts, never what users said.",
        "MEMORY_LOG_FORMAT": "`json`: one object per line; `text`: for people.",
    },
    "Access and limits": {
        "MEMORY_AUTH": (
            "`required`: every RPC but health needs `authorization: Bearer <token>` (tokens: `memory-service token "
            "create`). `off` is refused on any address but loopback."
        ),
        "MEMORY_TLS_CERT": "PEM certificate chain: the server speaks TLS only. Goes with `MEMORY_TLS_KEY`.",
        "MEMORY_TLS_KEY": "PEM private key of `MEMORY_TLS_CERT`.",
        "MEMORY_TLS_CLIENT_CA": "PEM CA: clients must present a certificate it signed (mutual TLS). Needs `MEMORY_TLS_CERT`.",
        "MEMORY_RATE_LIMIT_PER_SECOND": "Calls per second per token (a token bucket) with `MEMORY_AUTH=required`; over it: RESOURCE_EXHAUSTED with `RetryInfo`. `0` turns it off.",
        "MEMORY_RATE_LIMIT_BURST": "The token bucket's size: calls a token may make at once after a quiet spell.",
        "MEMORY_MAX_CONCURRENT_CALLS": "Unary calls in flight per process; more are refused at once (RESOURCE_EXHAUSTED `SERVER_BUSY`), never queued.",
        "MEMORY_MAX_STREAMS": "`WatchExtractions` and `ExportUser` streams open per process.",
        "MEMORY_MAX_MESSAGE_BYTES": "The largest request gRPC reads; a bigger one is RESOURCE_EXHAUSTED before it is parsed.",
    },
    "Observability": {
        "MEMORY_METRICS_LISTEN": (
            "`HOST:PORT` of the Prometheus exposition (`/metrics`) of this process, servers and workers alike; "
            "unset: not exposed. Containers use `0.0.0.0:9464`."
        ),
        "MEMORY_METRICS_REFRESH_SECONDS": (
            "How often the cluster-wide series (queue depth by status, oldest pending age, re-embedding progress) "
            "are read from the database."
        ),
        "MEMORY_TRACING": (
            "`otlp`: an OpenTelemetry span per RPC, with database and embedding child spans, exported over OTLP/HTTP "
            "as the standard `OTEL_EXPORTER_OTLP_*` variables say (needs the `tracing` extra); `off`: no cost."
        ),
    },
    "Extraction worker and queue": {
        "MEMORY_WORKER_CONCURRENCY": "Tasks one worker processes at once.",
        "MEMORY_TASK_LEASE_SECONDS": "A worker's lease on a claimed task; heartbeats extend it every third of it; a task whose lease expired is claimed again.",
        "MEMORY_TASK_MAX_ATTEMPTS": "Attempts that may fail for the task's own reasons (an unusable LLM answer, a crashed worker) before the task fails.",
        "MEMORY_TASK_RETRY_BUDGET_SECONDS": "How long a task keeps retrying an unreachable LLM or database (timeouts, refused connections, 429, 5xx), from the first such failure; then it fails with `RETRY_BUDGET_SPENT`.",
        "MEMORY_RETRY_BASE_SECONDS": "Backoff between attempts: base * 2^(attempt - 1), stretched by up to 50 % jitter; an endpoint's `Retry-After` is honoured (up to an hour).",
        "MEMORY_RETRY_MAX_SECONDS": "The longest backoff between two attempts.",
        "MEMORY_POLL_SECONDS": "Polling fallback of `LISTEN/NOTIFY` for workers and event streams (notifications are lost while a connection is down).",
        "MEMORY_DUPLICATE_THRESHOLD": "Cosine similarity at which a new fact repeats a known one (when no name, number or negation differs); it is then skipped.",
        "MEMORY_MAINTENANCE_SECONDS": "How often each worker fails dead last attempts, runs the retention sweeps and works on an embedding model switch.",
    },
    "Retention": {
        "MEMORY_EVENT_RETENTION_DAYS": "Events older than this are pruned (watch cursors before them become OUT_OF_RANGE); `0` keeps them forever.",
        "MEMORY_TASK_RETENTION_DAYS": "Finished tasks (their counts and errors) are deleted after this; `0` keeps them.",
        "MEMORY_TASK_TEXT_RETENTION_SECONDS": "A finished task's raw turn (what the user and the AI said) is emptied this long after it finished.",
        "MEMORY_FAILED_TASK_TEXT_RETENTION_DAYS": "... except a failed task's, kept this long so it can be requeued.",
    },
    "Secrets": {
        "MEMORY_ERASURE_SECRET": (
            "Key of the HMAC that the erasure ledger stores instead of user ids. Set it in production and keep it "
            "with the backups' secrets: replaying erasures onto a restored backup needs it. Unset: one is generated "
            "at the first start and kept in the database (`system_settings`)."
        ),
        "MEMORY_SECRETS_KEY": (
            "A Fernet key that seals API keys stored through `UpdateSystemSettings`; every process needs the same "
            "one. Unset: only `env:NAME` references can be stored."
        ),
    },
    "Embeddings": {
        "MEMORY_EMBEDDING_PROVIDER": "`local` (a model on this machine), `openai` or `azure`.",
        "MEMORY_EMBEDDING_MODEL": "Local: the packaged model's name, a path, or a Hugging Face name. Remote: the model, or the Azure deployment. Required for `openai` and `azure`.",
        "MEMORY_EMBEDDING_DIMENSIONS": "Vector size for remote models that can shorten their vectors; `0`: the model's own.",
        "MEMORY_EMBEDDING_BASE_URL": "The embeddings endpoint of an `openai` provider (default: OpenAI's); for `azure` the resource endpoint, required.",
        "MEMORY_EMBEDDING_API_KEY": "The embeddings endpoint's API key; required for `azure`.",
        "MEMORY_EMBEDDING_API_VERSION": "Azure OpenAI's API version (`2024-10-21` when unset with `azure`).",
        "MEMORY_EMBEDDING_DEVICE": "Where a local model runs under sentence-transformers, e.g. `cuda`.",
        "MEMORY_EMBEDDING_BACKEND": (
            "What runs a local model. `auto`: ONNX Runtime when the model can be exported exactly, else "
            "sentence-transformers, with the reason logged. `onnx`: ONNX Runtime or a configuration error at start. "
            "`torch`: sentence-transformers always (needed for a device other than `cpu`)."
        ),
        "MEMORY_EMBEDDING_ONNX_THREADS": (
            "ONNX Runtime's threads inside one model call; `0`: one per core available to the process but one "
            "(at least one), which is left to the event loop, gRPC and, on one machine, PostgreSQL. Idle threads sleep."
        ),
        "MEMORY_EMBEDDING_MAX_BATCH": (
            "Largest batch of interactive texts (concurrent GetContext queries share one model call). Larger ones "
            "cost barely less per text, and their callers then all query the database together while the model idles."
        ),
        "MEMORY_EMBEDDING_BACKGROUND_BATCH": "Largest batch of extraction and re-embedding texts, so a voice query never waits behind a long one.",
        "MEMORY_EMBEDDING_CACHE_SIZE": "Recently embedded texts kept in memory per process (keyed by user); `0` turns the cache off.",
    },
    "Extraction LLM": {
        "MEMORY_LLM_MODEL": "The chat model (Azure: the deployment). Unset: verbatim extraction, no LLM.",
        "MEMORY_LLM_BASE_URL": "An OpenAI-compatible endpoint, e.g. `http://localhost:11434/v1` for Ollama (default: OpenAI's); for `azure` the resource endpoint. Needs `MEMORY_LLM_MODEL`.",
        "MEMORY_LLM_PROVIDER": "`openai` (any OpenAI-compatible endpoint) or `azure`.",
        "MEMORY_LLM_API_KEY": "The endpoint's API key; required for `azure`.",
        "MEMORY_LLM_API_VERSION": "Azure OpenAI's API version (`2024-10-21` when unset with `azure`).",
        "MEMORY_LLM_TIMEOUT_SECONDS": "Per LLM call; a timeout is a failed attempt, retried within the retry budget.",
        "MEMORY_LLM_TEMPERATURE": "Sampling temperature of the extraction calls.",
        "MEMORY_LLM_JSON_MODE": "Ask for `response_format: json_object` (turn it off for servers that reject it).",
    },
}

# The HTTP gateway (`memory-gateway`) reads these; each is the default of the flag named.
GATEWAY_VARIABLES: dict[str, str] = {
    "MEMORY_TLS_CA": "CA certificate the gateway trusts for the service; setting it turns TLS towards the service on.",
    "MEMORY_TLS_CERT": "Client certificate the gateway presents to the service (mutual TLS).",
    "MEMORY_TLS_KEY": "Private key of that client certificate.",
}

INTRODUCTION = """\
Every setting of the service is an environment variable with the `MEMORY_` prefix, read once at start
(`memory-service serve`, `worker`, `migrate` and the operator commands alike). A bad value stops the process at
start with a message naming the variable; an empty value counts as unset. Booleans take `true` or `false` (also
`1`/`0`, `yes`/`no`, `on`/`off`). Command-line flags win over variables.
Some settings can also be changed while the service runs, from the database (see
[Runtime settings](#runtime-settings)), and some are per user (see [Per-user settings](#per-user-settings))."""

RUNTIME_NOTE = """\
`AdminService.UpdateSystemSettings` stores these in the `system_settings` table; every process applies a change
within about a second (a `memory_control` notification), without a restart. The LLM settings resolve per setting
and per process: the database's value, else the process's variable, else the default. The embedding settings are
the cluster's: the first process to start stores its `MEMORY_EMBEDDING_*` values, and from then on only
`UpdateSystemSettings` changes them (a process whose variables differ logs a warning and follows the database);
a change starts a background re-embedding (see [the runbook](runbook.md#switching-the-embedding-model)).
API keys are write-only: stored sealed with `MEMORY_SECRETS_KEY`, or as an `env:NAME` reference that each process
reads from its own environment."""

USER_NOTE = """\
Set per user with `UpdateUserSettings` (with an `update_mask`), from the web UI, or with
`PATCH /api/users/{user_id}/settings` on the gateway. They override nothing in the environment: there is no
variable for them. Per agent, `RegisterAgent` sets `memory_scope` (global, or private to the agent) and a display
name."""

OTHER_NOTE = """\
Loading the packaged model, the service sets `HF_HUB_OFFLINE=1` for itself unless it is set (that model needs no
download). `ListCachedModels` looks in `HF_HUB_CACHE`. An `env:NAME` reference stored through
`UpdateSystemSettings` reads the variable `NAME` of each process, whatever its name."""
