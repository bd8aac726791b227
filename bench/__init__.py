"""Benchmarks (run on purpose with bench/run.sh, never by the test suite)."""
