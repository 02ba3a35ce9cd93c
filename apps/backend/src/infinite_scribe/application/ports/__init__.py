"""The application's ports: what it needs from the outside world, stated as Protocols.

`persistence/` implements them (importing only these modules and `domain`); the composition
roots (`api/container.py`, `cli/`, `cli/up.py`, the workers' entry points) choose the adapters.
"""
