"""A command's one write: the unit of work, the composed statement, the event log."""
