"""Integration tests of the agents: the API, relay, broker and workers together."""
