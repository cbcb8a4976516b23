"""Benchmarks: run as modules, e.g. `python -m bench.audit --incidents 100000 --json`."""
