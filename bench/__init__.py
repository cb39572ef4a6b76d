"""Benchmark harness for the Launchpad API (`make bench`); never bundled into a function."""
