"""Benchmarks: run by ``make bench`` (``python -m tests.benchmarks.run``), never by ``make test``."""
