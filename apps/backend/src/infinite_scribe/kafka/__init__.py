"""Kafka adapters: clients of the event bus beyond the relay's producer and the agents'
consumer."""
