"""Agent work on PostgreSQL: async tasks and flow resume handles."""
