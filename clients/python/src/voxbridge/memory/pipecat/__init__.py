"""VoxBridge Memory for Pipecat pipelines (the `pipecat` extra: `pip install 'voxbridge-memory-client[pipecat]'`).

memory = MemoryClient.from_env()
aggregators = LLMContextAggregatorPair(LLMContext(messages=[{"role": "system", "content": "..."}]))
pipeline = Pipeline([
    transport.input(), stt, aggregators.user(),
    UserMemoryProcessor(memory, user_id=caller_id, agent_id="support-bot"),   # between the user turn and the LLM
    llm, tts, transport.output(), aggregators.assistant(),
])
"""

from voxbridge.memory.pipecat._processor import DEFAULT_INSTRUCTIONS, UserMemoryProcessor

__all__ = ["DEFAULT_INSTRUCTIONS", "UserMemoryProcessor"]
