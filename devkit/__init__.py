"""Local tooling shared by tests, scripts and bench: never part of a Vercel function bundle."""
