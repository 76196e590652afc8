"""Benchmarks: numbers to compare between runs, never pass/fail."""
