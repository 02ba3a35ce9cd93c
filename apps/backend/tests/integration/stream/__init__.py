"""Integration tests of the live stream (real PostgreSQL, the API, a real browser)."""
