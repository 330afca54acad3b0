"""Benchmarks for nko-openness (`make bench`): a checkout tool, not part of the wheel."""
