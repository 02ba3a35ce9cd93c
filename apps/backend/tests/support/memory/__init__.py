"""In-memory adapters of the storage ports, for unit tests and the continuity bench without
PostgreSQL: test support, not product code (issue 75; decision 7500). They do no I/O
(unit/test_memory_adapters_do_no_io.py)."""
