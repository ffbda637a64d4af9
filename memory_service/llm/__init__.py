"""LLM access through the openai client (any OpenAI-compatible endpoint, or Azure OpenAI)."""
