"""The composition root of the workers: reads `Settings` once, opens their clients and builds
the relay (relay.py) and the agent worker (agents.py) from them; only the CLI imports it."""
