"""Deployment tests: vercel.json, the deploy script, migrations, what the served site exposes."""
