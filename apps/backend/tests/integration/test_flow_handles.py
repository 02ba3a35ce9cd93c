"""Resume handles on real PostgreSQL: the pause/resume race, one waiting handle per flow, and
event chains (docs/flows.md). Expiry, settling and the 409s need no database:
tests/unit/test_flows_on_memory.py."""

import asyncio
import random
import uuid
from collections import Counter
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.event_chains import EventChains
from infinite_scribe.application.ports.flows import FLOW_HANDLES
from infinite_scribe.application.ports.writes import FlowHandleRow, Write
from infinite_scribe.application.retries import with_retries
from infinite_scribe.domain.errors import (
    NotFound,
)
from infinite_scribe.domain.flows import FLOW_PAUSED, FLOW_RESUMED, LandingOutcome
from infinite_scribe.persistence.genesis.adapters import PostgresGenesisQueries
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.tasks.flow_handles import PostgresFlowQueries
from infinite_scribe.persistence.writes.composer import WriteComposer
from shared_types import EventEnvelope, EventMetadata
from tests.support.flows import CONFIRM, FlowApp


class Flows(FlowApp):
    """The flow use cases on the test pool."""

    def __init__(self, pool: asyncpg.Pool, ttl_seconds: float = 3600) -> None:
        queries = PostgresFlowQueries(pool)
        uow = unit_of_work(pool, WriteComposer("domain-events"))
        super().__init__(uow, PostgresGenesisQueries(pool), queries, ttl_seconds)
        self.pool = pool


async def flow_events(pool: asyncpg.Pool, session_id: UUID) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT event_type, payload, correlation_id FROM domain_events "
        "WHERE aggregate_id = $1 AND event_type LIKE 'Genesis.Session.Flow%' ORDER BY id",
        str(session_id),
    )


async def handle_row(pool: asyncpg.Pool, correlation_id: str) -> dict[str, Any]:
    rows = await pool.fetch(
        "SELECT status, resume_payload FROM flow_resume_handles WHERE correlation_id = $1",
        correlation_id,
    )
    assert len(rows) == 1, rows
    return dict(rows[0])


async def pause(flows: Flows, cid: str) -> LandingOutcome:
    await asyncio.sleep(random.random() * 0.003)  # jitter: both orders must happen
    return await flows.control.pause_landed(cid)


async def reply(flows: Flows, user: UUID, session_id: UUID) -> None:
    await asyncio.sleep(random.random() * 0.003)
    await flows.confirm(user, session_id)


@pytest.mark.slow
async def test_pause_and_reply_race_resumes_exactly_once(clean_db: asyncpg.Pool) -> None:
    """200 times (4 lanes of 50): the landing pause and the writer's reply (a ConfirmStage
    command) run at once on separate connections; each time exactly one FlowResumed, the
    handle RESUMED, and a FlowPaused only when the pause landed first."""
    flows = Flows(clean_db)
    user = uuid.uuid4()
    lanes = await asyncio.gather(*(race_lane(flows, user, 50) for _ in range(4)))
    paths = sum(lanes, Counter[str]())
    assert paths.total() == 200
    # The race is real: both orders happened.
    assert paths["early"] > 0 and paths["paused first"] > 0, paths


async def race_lane(flows: Flows, user: UUID, iterations: int) -> Counter[str]:
    paths: Counter[str] = Counter()
    for _ in range(iterations):
        session_id, cid = await flows.paused_flow(user)
        landing, _ = await asyncio.gather(pause(flows, cid), reply(flows, user, session_id))
        events = await flow_events(flows.pool, session_id)
        types = [row["event_type"] for row in events]
        assert types.count(FLOW_RESUMED) == 1, types
        row = await handle_row(flows.pool, cid)
        assert row["status"] == "RESUMED"
        assert row["resume_payload"]["command_type"] == "ConfirmStage"
        resumed = next(e for e in events if e["event_type"] == FLOW_RESUMED)
        early = resumed["payload"]["early"]
        assert early is (landing is LandingOutcome.RESUMED)
        assert types == ([FLOW_RESUMED] if early else [FLOW_PAUSED, FLOW_RESUMED])
        assert all(str(e["correlation_id"]) == cid for e in events)
        paths["early" if early else "paused first"] += 1
    return paths


@pytest.mark.slow
async def test_direct_resume_races_the_pause(clean_db: asyncpg.Pool) -> None:
    """The same race through POST /flows/{id}/resume's use case: one resume effect each time."""
    flows = Flows(clean_db)
    user = uuid.uuid4()
    for _ in range(50):
        session_id, cid = await flows.paused_flow(user)
        context = RequestContext(user_id=user)
        outcomes = await asyncio.gather(
            flows.control.pause_landed(cid),
            flows.replies.resume(context, UUID(cid), "ConfirmStage", CONFIRM, None),
        )
        assert outcomes[1][1].status.value in ("RESUMED", "PENDING_PAUSE")
        types = [row["event_type"] for row in await flow_events(clean_db, session_id)]
        assert types.count(FLOW_RESUMED) == 1, types
        assert (await handle_row(clean_db, cid))["status"] == "RESUMED"


async def test_one_waiting_handle_per_flow_under_concurrency(clean_db: asyncpg.Pool) -> None:
    flows = Flows(clean_db)
    user = uuid.uuid4()
    state, _ = await flows.sessions.create(RequestContext(user_id=user), None)
    cid = str(uuid.uuid4())
    handle = {"session_id": str(state.session_id), "user_id": str(user), "stage": "WORLDVIEW"}

    async def register() -> UUID:
        async def attempt() -> UUID:
            async with flows.uow.transaction() as tx:
                row = FlowHandleRow(cid, handle, flows.control.ttl_seconds)
                await tx.write(Write(flow_handle=row))
                seen = await tx.repository(FLOW_HANDLES).get(cid)
                assert seen is not None
                return seen.handle_id

        return await with_retries(lambda number: attempt())

    ids = await asyncio.gather(*(register() for _ in range(20)))
    assert len(set(ids)) == 1
    count = await clean_db.fetchval(
        "SELECT count(*) FROM flow_resume_handles WHERE correlation_id = $1", cid
    )
    assert count == 1
    # The partial unique index itself refuses a second waiting handle...
    with pytest.raises(asyncpg.UniqueViolationError):
        await clean_db.execute(
            "INSERT INTO flow_resume_handles (correlation_id, resume_handle, status) "
            "VALUES ($1, '{}', 'PAUSED')",
            cid,
        )
    # ...but not a finished one beside it.
    await clean_db.execute(
        "INSERT INTO flow_resume_handles (correlation_id, resume_handle, status) "
        "VALUES ($1, '{}', 'RESUMED')",
        cid,
    )


async def _append_chain(flows: Flows, user: UUID, parents: list[int]) -> list[UUID]:
    """Events on a test aggregate; event i is caused by event parents[i] (-1: by a command)."""
    command_id = uuid.uuid4()
    ids = [uuid.uuid4() for _ in parents]
    aggregate = str(uuid.uuid4())
    events = [
        EventEnvelope(
            event_id=ids[index],
            event_type="Test.Chain.Node.Created",
            aggregate_type="TEST_CHAIN",
            aggregate_id=aggregate,
            aggregate_version=index + 1,
            correlation_id=command_id,
            causation_id=command_id if parent < 0 else ids[parent],
            metadata=EventMetadata(user_id=str(user)),
        )
        for index, parent in enumerate(parents)
    ]
    async with flows.uow.transaction() as tx:
        await tx.write(Write(events=events))
    return ids


async def test_event_chain_bounds(clean_db: asyncpg.Pool) -> None:
    """A 100-deep line and a 300-wide fan: the walk stops at its bounds and says so."""
    flows = Flows(clean_db)
    chains = EventChains(flows.queries)
    user = uuid.uuid4()
    line = await _append_chain(flows, user, [-1, *range(99)])
    middle = await chains.chain(line[50], user, depth=16, limit=200)
    assert [e["event_id"] for e in middle["ancestors"]] == line[34:50]
    depths = 0
    node = middle["tree"]
    while node["children"]:
        [node] = node["children"]
        depths += 1
    assert depths == 16 and middle["truncated"] is True
    whole = await chains.chain(line[0], user, depth=64, limit=1000)
    assert whole["ancestors"] == [] and whole["truncated"] is True  # 99 levels below
    tail = await chains.chain(line[99], user, depth=64, limit=10)
    assert len(tail["ancestors"]) == 64 and tail["tree"]["children"] == []

    fan = await _append_chain(flows, user, [-1, *([0] * 300)])
    wide = await chains.chain(fan[0], user, depth=4, limit=50)
    assert len(wide["tree"]["children"]) == 50 and wide["truncated"] is True
    exact = await chains.chain(fan[0], user, depth=4, limit=300)
    assert len(exact["tree"]["children"]) == 300 and exact["truncated"] is False
    with pytest.raises(NotFound):
        await chains.chain(fan[0], uuid.uuid4(), depth=4, limit=10)
