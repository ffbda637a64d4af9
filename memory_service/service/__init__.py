"""The use cases: transport-free; they validate, orchestrate db/ and embeddings, and raise domain errors."""
