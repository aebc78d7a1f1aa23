"""Benchmarks run by hand or by `make bench`; not part of the test suite (see bench/README.md)."""
