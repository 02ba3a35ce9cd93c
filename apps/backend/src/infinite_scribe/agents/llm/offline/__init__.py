"""The offline generator: proposals built from the writer's words, without a model."""

from infinite_scribe.agents.llm.offline.generator import OfflineGenerator

__all__ = ["OfflineGenerator"]
