"""The archive of sessions: their events moved between the hot and archived partitions."""
