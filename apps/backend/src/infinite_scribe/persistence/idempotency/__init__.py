"""Idempotency keys: the PostgreSQL and Redis stores, the choice, freeing inbox keys."""
