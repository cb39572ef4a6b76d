"""The test suite: real PostgreSQL, functions driven through their ASGI apps."""
