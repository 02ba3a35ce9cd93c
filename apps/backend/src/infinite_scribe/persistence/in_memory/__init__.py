"""In-memory adapters of the storage ports, for unit tests without PostgreSQL."""
