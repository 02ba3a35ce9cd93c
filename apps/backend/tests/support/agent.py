"""Answer a generation request the way the agent worker does (its use cases, no Kafka): the
tests that need a proposal but not the worker process use this."""

from typing import Any
from uuid import UUID

import asyncpg

from infinite_scribe.agents.generation import generation_request, with_codex
from infinite_scribe.agents.llm.offline import OfflineGenerator
from infinite_scribe.application.agent_work import AgentWork
from infinite_scribe.persistence.event_store import envelope_of
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.tasks.async_tasks import PostgresTaskQueries
from infinite_scribe.persistence.writes.composer import WriteComposer
from shared_types import DomainEventRow


async def answer_request(
    pool: asyncpg.Pool, topic: str, command_id: UUID, result: dict[str, Any]
) -> None:
    """Propose `result` for the request event the async command `command_id` wrote."""
    row = await pool.fetchrow(
        "SELECT * FROM domain_events WHERE causation_id = $1 ORDER BY id LIMIT 1", command_id
    )
    assert row is not None, f"command {command_id} wrote no request"
    request = envelope_of(DomainEventRow.model_validate(dict(row)))
    uow = unit_of_work(pool, WriteComposer(topic))
    try:
        work = AgentWork(uow, PostgresTaskQueries(pool, topic), "test-agent", "agent")
        job = await work.begin(request)
        assert job is not None, "the request's task is not open"
        job = await with_codex(job)  # the codex read from the idea, as the worker reads it
        assert await work.propose(job, result, provider="test")
    finally:
        await uow.close()


async def offline_answer(pool: asyncpg.Pool, topic: str, command_id: UUID) -> dict[str, Any]:
    """Answer the request of async command `command_id` with the offline generator, as the
    agent worker does (its request, its provenance); returns the proposal."""
    row = await pool.fetchrow(
        "SELECT * FROM domain_events WHERE causation_id = $1 ORDER BY id LIMIT 1", command_id
    )
    assert row is not None, f"command {command_id} wrote no request"
    request = envelope_of(DomainEventRow.model_validate(dict(row)))
    uow = unit_of_work(pool, WriteComposer(topic))
    provider = OfflineGenerator()
    try:
        work = AgentWork(uow, PostgresTaskQueries(pool, topic), "test-agent", "agent")
        job = await work.begin(request)
        assert job is not None, "the request's task is not open"
        job = await with_codex(job)  # the codex read from the idea, as the worker reads it
        proposal = (await provider.generate(generation_request(job))).model_dump(mode="json")
        reported = {"model": provider.model, "prompt_version": provider.prompt_version}
        assert await work.propose(job, proposal, provider.name, reported | {"attempts": 1})
        return proposal
    finally:
        await uow.close()
