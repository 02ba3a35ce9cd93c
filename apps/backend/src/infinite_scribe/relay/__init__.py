"""The Message Relay: event_outbox rows to Kafka, per key in commit order, at least once."""
