"""A replay replays (issue 56): a generation that failed for good (the model down) lands on the
dead-letter topic; once the model is back, Replay re-drives it: the writer's command is sent
again, a new attempt runs and the session gets its proposal, the letter leaves the list and the
audit says "re-driven". On 5af61bc the replay only republished the request, which the worker
skipped (its task had finished): nothing ran, yet the letter was hidden. A letter whose request
the writer has asked again since is refused with that reason and stays listed, from the console
and from `scribe worker dlq replay` alike."""

import asyncio
import json
import uuid

import asyncpg
import httpx
import pytest
from typer.testing import CliRunner

from infinite_scribe.application.operator import OperatorActions
from infinite_scribe.application.ports.operator import DeadLetterFilter
from infinite_scribe.cli import app
from infinite_scribe.composition.operator import operator_actions
from infinite_scribe.domain.genesis import (
    CONCEPT_GENERATION_FAILED,
    CONCEPT_GENERATION_REQUESTED,
    CONCEPT_PROPOSED,
)
from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import agent_stack, client, events_of, stack_settings, wait_task
from tests.support.fake_llm import FakeLLMServer, Reply

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ATTEMPTS = 2


def _config(settings: Settings, llm: FakeLLMServer) -> Settings:
    return stack_settings(
        settings,
        llm_provider="openai",
        llm_base_url=llm.base_url,
        llm_model=FakeLLMServer.MODEL,
        llm_timeout_seconds=5.0,
        llm_max_retries=0,
        worker_generation_attempts=ATTEMPTS,
    )


async def _failed_generation(http: httpx.AsyncClient, llm: FakeLLMServer) -> tuple[str, str]:
    """A session whose concept request failed for good: (session id, request event id)."""
    llm.script(*[Reply.error(500)] * ATTEMPTS)
    sid = (await http.post("/api/v1/genesis/sessions")).json()["session_id"]
    command = {"command_type": "RequestConceptGeneration", "payload": {}}
    asked = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=command)
    task = await wait_task(http, asked.json()["task_id"], 60)
    assert task["status"] == "FAILED", task
    return sid, task["task_id"]


async def _letter_of(operator: OperatorActions, session: str) -> str:
    """The position of the session's dead letter, once the worker's copy reached the topic."""
    for _ in range(100):
        letters = await operator.dead_letters(DeadLetterFilter(key=session))
        if letters:
            [letter] = letters
            assert letter.event_type == CONCEPT_GENERATION_REQUESTED
            return letter.position
    raise AssertionError(f"no dead letter for {session}")


async def test_replay_re_drives_the_failed_generation(
    settings: Settings, database_url: str, clean_db: asyncpg.Pool
) -> None:
    with FakeLLMServer() as llm:
        config = _config(settings, llm)
        user, actor = uuid.uuid4(), uuid.uuid4()
        async with (
            agent_stack(config) as server,
            client(server, config, user) as http,
            operator_actions(config, database_url) as operator,
        ):
            sid, failed_task = await _failed_generation(http, llm)
            position = await _letter_of(operator, sid)
            # The model is back (the script is used up: valid replies from now on).
            done = await operator.replay_dead_letters(
                actor, uuid.uuid4(), positions=[position], where=None
            )
            outcome = done.entry.target["outcome"][position]
            assert outcome.startswith("re-driven: RequestConceptGeneration sent again: task ")
            assert done.entry.row_count == 1
            new_task = outcome.rsplit(" ", 1)[1]
            assert new_task != failed_task
            answered = await wait_task(http, new_task, 60)
            assert answered["status"] == "COMPLETED", answered

            types = [e["event_type"] for e in await events_of(clean_db, sid)]
            assert types.count(CONCEPT_GENERATION_REQUESTED) == 2, types
            assert types.count(CONCEPT_GENERATION_FAILED) == 1, types
            assert types.count(CONCEPT_PROPOSED) == 1, types
            state = (await http.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
            assert state["last_result"] == answered["result"]
            # The letter left the list; a second replay of it does nothing.
            assert await operator.dead_letters(DeadLetterFilter(key=sid)) == []
            again = await operator.replay_dead_letters(
                actor, uuid.uuid4(), positions=[position], where=None
            )
            assert again.entry.row_count == 0
            assert len(await clean_db.fetch("SELECT 1 FROM async_tasks")) == 2


async def test_a_superseded_request_is_refused_and_stays_listed(
    settings: Settings, database_url: str, clean_db: asyncpg.Pool
) -> None:
    with FakeLLMServer() as llm:
        config = _config(settings, llm)
        user = uuid.uuid4()
        async with (
            agent_stack(config) as server,
            client(server, config, user) as http,
            operator_actions(config, database_url) as operator,
        ):
            sid, _ = await _failed_generation(http, llm)
            position = await _letter_of(operator, sid)
            command = {"command_type": "RequestConceptGeneration", "payload": {}}
            asked = await http.post(f"/api/v1/genesis/sessions/{sid}/commands", json=command)
            assert (await wait_task(http, asked.json()["task_id"], 60))["status"] == "COMPLETED"

            servers = config.resolved_kafka_servers() or ""
            env = {
                "KAFKA_BOOTSTRAP_SERVERS": servers,
                "KAFKA_TOPIC": config.kafka_topic,
                "DATABASE_URL": database_url,
            }
            replay = ["worker", "dlq", "replay", "--position", position]
            result = await asyncio.to_thread(CliRunner().invoke, app, replay, env=env)
            assert result.exit_code == 1, result.output
            reason = "refused: the writer asked again since: the failed request is superseded"
            assert f"{position} {reason}" in result.output
            assert "replayed 0 dead letter(s), refused 1" in result.output

            assert [
                letter.position for letter in await operator.dead_letters(DeadLetterFilter(key=sid))
            ] == [position]
            audit = await clean_db.fetchrow(
                "SELECT target, row_count FROM operator_audit WHERE action = 'dead_letters.replay'"
            )
            target = (
                audit["target"]
                if isinstance(audit["target"], dict)
                else json.loads(audit["target"])
            )
            assert target["outcome"] == {position: reason} and audit["row_count"] == 0
            types = [e["event_type"] for e in await events_of(clean_db, sid)]
            assert types.count(CONCEPT_GENERATION_REQUESTED) == 2, types  # no third
