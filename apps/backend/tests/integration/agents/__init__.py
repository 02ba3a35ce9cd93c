"""Agent worker tests against the real PostgreSQL and broker."""
