"""What every long-running worker shares: signals -> stop event, a grace period, start-up and
shut-down hooks, and a `/health` + `/metrics` HTTP server (the relay and the agent worker)."""
