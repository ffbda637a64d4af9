"""Tests: unit (no I/O), integration (real PostgreSQL), api (the real server over gRPC)."""

import os

# grpc reads this when first imported: pgserver spawns pg_ctl, and grpc's fork handlers only add noise.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
