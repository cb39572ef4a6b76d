"""Reference implementations the API is compared against (same SQL, other frameworks)."""
