"""Whole-system tests: pooler, faults, soak, fuzz, runtimes, authorization, concurrency, log hygiene."""
