"""Benchmarks run against real corpora (not part of the app or the test suite)."""
