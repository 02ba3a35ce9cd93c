"""What the operator console reads and writes: audit log, dispositions, overviews."""
