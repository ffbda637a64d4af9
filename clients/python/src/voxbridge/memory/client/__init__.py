"""An async client for bots: GetContext that degrades to an empty context, idempotent QueueExtraction.

async with MemoryClient("127.0.0.1:50051") as memory:
    context = await memory.get_context("user-1", "what should I cook?", agent_id="chef-bot")
    prompt = context.rendered + "\\n" + user_text        # "" when nothing is known or time ran out
    ...
    memory.queue_extraction_soon("user-1", user_text, reply, agent_id="chef-bot")  # never blocks the reply
"""

from voxbridge.memory.client._client import Context, MemoryClient
from voxbridge.memory.client._errors import MemoryClientError, error_from_rpc

__all__ = ["Context", "MemoryClient", "MemoryClientError", "error_from_rpc"]
