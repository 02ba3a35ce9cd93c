"""Genesis sessions and novels on PostgreSQL: repository, reads, projections, trash."""
