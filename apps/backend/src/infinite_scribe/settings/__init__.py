"""Configuration: what the environment may set, read once by pydantic-settings."""
