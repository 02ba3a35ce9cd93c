"""Kafka adapters: admin, the relay's producer, the consumer-group loop, dead letters."""
