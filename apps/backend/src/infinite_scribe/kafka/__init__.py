"""Kafka clients shared by the relay, the agent worker and the API."""
