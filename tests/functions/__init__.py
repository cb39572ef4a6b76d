"""Tests of each function in api/: one file per function (split by concern where it grows)."""
