"""Email: the outbox written with the work that caused it, its templates, backends and delivery."""
