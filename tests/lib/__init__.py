"""Unit tests of lib/ modules: URL handling, intents, the error shape, logging and import hygiene."""
