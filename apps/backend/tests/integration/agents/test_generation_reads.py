"""A generation's start reads what its prompt uses (issue 54, first row): a session whose stages
were confirmed with large data, rolled back (each rollback copies the state) and asked for
again reads kilobytes, not every payload whole, and the writer's wishes and the prompt's
sources come out as they do from the whole payloads."""

import uuid
from typing import Any

import asyncpg
import orjson

from infinite_scribe.application.agent_work import AgentWork
from infinite_scribe.application.command_service import CommandService
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.sessions import GenesisSessions
from infinite_scribe.domain.genesis import AGGREGATE_TYPE, STAGE_CONFIRMED
from infinite_scribe.domain.wishes import PROMPT_SOURCES, prompt_inputs, writer_wishes
from infinite_scribe.persistence.event_store import envelope_of
from infinite_scribe.persistence.genesis.adapters import PostgresGenesisQueries
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.tasks.async_tasks import PostgresTaskQueries
from infinite_scribe.persistence.writes.composer import WriteComposer
from shared_types import DomainEventRow
from shared_types.enums import GenesisStage

TOPIC = "domain-events"
#: A stage's confirmed data: about 150 KB (three of them and a rollback's copy fit an event).
BIG = {"items": ["w" * 100] * 1500}
#: What the reads may hold: the wishes and ids, whatever the confirmations weigh.
READ_BOUND = 16 * 1024


async def _session_with_history(pool: asyncpg.Pool) -> tuple[CommandService, Any, uuid.UUID]:
    """Confirmed with large data, rolled back and confirmed again twice, a stage's generation
    asked for with a large wish, then with a small one, then again (the one to begin): the
    large wish is superseded, so it is not read."""
    uow = unit_of_work(pool, WriteComposer(TOPIC))
    genesis = PostgresGenesisQueries(pool)
    context = RequestContext(user_id=uuid.uuid4())
    created, _ = await GenesisSessions(uow, genesis).create(context, {"idea": "a lighthouse"})
    commands = CommandService(uow, genesis)
    session = created.session_id

    async def run(command: str, payload: dict[str, Any]) -> Any:
        return await commands.execute(context, session, command, payload)

    await run("RequestConceptGeneration", {"preferences": {"tone": "wry"}})
    for stage in ("CONCEPT_SELECTION", "STORY_CONCEPTION"):
        await run("ConfirmStage", {"stage": stage, "data": BIG})
    story = await pool.fetchval(
        "SELECT event_id FROM domain_events WHERE aggregate_id = $1 AND event_type = $2 "
        "ORDER BY id DESC LIMIT 1",
        str(session),
        STAGE_CONFIRMED,
    )
    # Rollbacks no longer copy the state they restore (decision 5403): more confirmations make
    # the log large instead.
    for wish in ("y" * 20_000, "z" * 20_000, "x" * 20_000, "v" * 20_000, "darker"):
        await run("RequestStageGeneration", {"preferences": {"mood": wish}})
        await run("ConfirmStage", {"stage": "WORLDVIEW", "data": BIG})
        await run("RollbackToVersion", {"event_id": str(story)})
    asked = await run("RequestStageGeneration", {"preferences": {"mood": "darker"}})
    return commands, uow, asked.command_id


async def test_a_generation_reads_what_its_prompt_uses(clean_db: asyncpg.Pool) -> None:
    _, uow, command_id = await _session_with_history(clean_db)
    row = await clean_db.fetchrow("SELECT * FROM domain_events WHERE causation_id = $1", command_id)
    request = envelope_of(DomainEventRow.model_validate(dict(row)))
    session_id = uuid.UUID(request.aggregate_id)
    whole = [
        (r["event_id"], r["event_type"], r["payload"])
        for r in await clean_db.fetch(
            "SELECT event_id, event_type, payload FROM domain_events WHERE aggregate_type = $1 "
            "AND aggregate_id = $2 AND event_type = ANY($3) ORDER BY id",
            AGGREGATE_TYPE,
            str(session_id),
            list(PROMPT_SOURCES),
        )
    ]
    # The start's one statement reads them.
    started = await PostgresTaskQueries(clean_db, TOPIC).start_with_session(request.event_id)
    assert started is not None
    read = started.requests
    assert len(orjson.dumps([p for _, _, p in whole])) > 1_000_000  # what was read before
    assert len(orjson.dumps([p for _, _, p in read])) < READ_BOUND
    # The latest source of each type and stage, oldest first: bounded whatever the log holds,
    # and the folds over it end where they end over every source.
    order = [i for i, _, _ in whole]
    assert [i for i, _, _ in read] == sorted((i for i, _, _ in read), key=order.index)
    assert len(read) < len(whole) and len(read) <= len(PROMPT_SOURCES) * (len(GenesisStage) + 1)
    for stage in GenesisStage:
        assert writer_wishes([(t, p) for _, t, p in read], stage) == writer_wishes(
            [(t, p) for _, t, p in whole], stage
        )
        confirmed = {s.value: {} for s in GenesisStage}
        assert prompt_inputs(read, stage, confirmed, command_id) == prompt_inputs(
            whole, stage, confirmed, command_id
        )
    try:
        job = await AgentWork(uow, PostgresTaskQueries(clean_db, TOPIC), "test", "agent").begin(
            request
        )
    finally:
        await uow.close()
    assert job is not None
    assert job.wishes == writer_wishes([(t, p) for _, t, p in whole], job.stage)
    assert job.wishes["preferences"]["mood"] == "darker"
    expected = prompt_inputs(whole, job.stage, job.state.confirmed_data, request.event_id)
    assert list(job.sources) == expected
    assert str(job.request.event_id) in job.sources and len(job.sources) >= 3
