"""The offline generator: proposals built from the writer's words, without a model."""

from infinite_scribe.agents.llm.offline.generator import NOTE, NOTE_ZH, OfflineGenerator

__all__ = ["NOTE", "NOTE_ZH", "OfflineGenerator"]
