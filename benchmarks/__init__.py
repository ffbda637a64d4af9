"""Benchmarks: scripts that print JSON. Compare by ratio within one run; machines are shared and noisy."""
