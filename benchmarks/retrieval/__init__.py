"""Retrieval evaluation: a synthetic conversational memory set and the ranking variants measured on it."""
