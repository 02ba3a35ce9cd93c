"""The story memory projection and its continuity findings (issue 48), on PostgreSQL."""
