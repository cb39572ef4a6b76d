"""BENCHMARKS.md (full run) or bench/results/BENCHMARKS-quick.md, written from bench/results/*.json."""
