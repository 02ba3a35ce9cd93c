"""The novel aggregate on PostgreSQL (issue 39): its command read, its stream, its write part."""
