"""Settings: the one Settings class, Kafka client options, a running `scribe up`'s services."""
