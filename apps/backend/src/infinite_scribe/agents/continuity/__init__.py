"""The continuity check's offline reader, its rules (data) and its consumer (issue 48)."""
