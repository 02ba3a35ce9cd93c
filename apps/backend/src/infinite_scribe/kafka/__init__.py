"""Kafka clients shared by the relay and the agents: consumers, producers, admin helpers."""
