"""Where the repository is, for tests that read its files (docs, ops, README)."""

from pathlib import Path

#: apps/backend/tests/support/paths.py -> the repository root.
REPO = Path(__file__).resolve().parents[4]
