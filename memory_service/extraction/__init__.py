"""Extraction: the worker loop, Mem0 with an LLM, verbatim mode, and upkeep."""
