"""The overview's worker count from the worker registry (issue 38, decision 4003), as the
operator's page shows it: live rows counted and listed, an expired one left out, escaped; the
relays from their own heartbeats beside them."""

import asyncpg
import httpx
import pytest

from tests.support.console import console, console_settings, operator

pytestmark = pytest.mark.kafka

__all__ = ["console", "console_settings", "operator"]  # fixtures used below


async def test_the_overview_counts_the_workers_that_beat(
    operator: httpx.AsyncClient, clean_db: asyncpg.Pool
) -> None:
    insert = (
        "INSERT INTO worker_registry (worker_id, kind, host, pid, beat_seconds, in_flight, "
        "last_seen_at) VALUES ($1, 'agent-worker', $2, $3, 1.0, $4, now() - make_interval("
        "secs => $5))"
    )
    await clean_db.execute(insert, "live-1", "<b>host</b>", 101, 2, 0.5)
    await clean_db.execute(insert, "live-2", "host-2", 102, 0, 2.0)
    await clean_db.execute(insert, "dead", "host-3", 103, 0, 3.5)  # silent > 3 intervals
    figures = (await operator.get("/console/ops/figures")).text
    assert 'data-workers="2"' in figures and "2 agent worker(s) alive" in figures
    assert 'data-worker="live-1"' in figures and 'data-worker="live-2"' in figures
    assert 'data-worker="dead"' not in figures
    assert "<b>host</b>" not in figures and "&lt;b&gt;host&lt;/b&gt; · 101" in figures
    # Relays from their own heartbeats too (relay_members): a silent one left out.
    assert 'data-relays="0"' in figures
    await clean_db.execute(
        "INSERT INTO relay_members (relay_id, seen_at) VALUES ('relay-a', now()), "
        "('relay-<gone>', now() - interval '10 minutes')"
    )
    figures = (await operator.get("/console/ops/figures")).text
    assert 'data-relays="1"' in figures and "relay-a" in figures and "gone" not in figures
    await clean_db.execute("DELETE FROM worker_registry")
    assert 'data-workers="0"' in (await operator.get("/console/ops")).text
