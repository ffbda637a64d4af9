"""Every PostgreSQL advisory lock key of the service, in one place so two never collide.

Two-integer keys (class, id); the migration lock of migrations/env.py is the
single-integer key 7243001, a separate key space.
"""

from __future__ import annotations

USER_CLASS = 7243  # (7243, hashtext(user_id)), per transaction: everything that writes one user's rows
MODEL_SWITCH = (7244, 0)  # shared by writers of vectors, exclusive for the cut-over of an embedding switch
REEMBEDDING_LEAD = (7245, 0)  # the one process that re-embeds for a switch
ANN_INDEX_BUILD = (7246, 0)  # the one process building an HNSW index
EVENT_RELAY = (7247, 0)  # the process that numbers events (held for its session's life)
