"""Benchmarks: measured figures, not tests (see README.md)."""
