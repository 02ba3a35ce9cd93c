"""LLM provider port and its adapters (offline generator, OpenAI-compatible HTTP)."""
