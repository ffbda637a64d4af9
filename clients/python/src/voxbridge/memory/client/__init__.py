"""An async client for bots: GetContext that degrades to an empty context, fire-and-forget QueueExtraction,
and a WatchExtractions iterator that resumes by itself.

async with MemoryClient.from_env() as memory:   # MEMORY_TARGET, MEMORY_TOKEN, MEMORY_TLS_CA/CERT/KEY
    context = await memory.get_context("user-1", user_text, agent_id="chef-bot")  # never raises
    prompt = context.rendered + "\\n" + user_text        # "" when nothing is known or time ran out
    ...
    memory.queue_extraction_soon("user-1", user_text, reply, agent_id="chef-bot")  # never blocks the reply
"""

from voxbridge.memory.client._channel import ConnectionSettings
from voxbridge.memory.client._client import Context, MemoryClient
from voxbridge.memory.client._errors import MemoryClientError, error_from_rpc
from voxbridge.memory.client._watch import ExtractionWatch

__all__ = ["ConnectionSettings", "Context", "ExtractionWatch", "MemoryClient", "MemoryClientError", "error_from_rpc"]
