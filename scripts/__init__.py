"""Deploy and local-development scripts (migrate, seed, dev server)."""
