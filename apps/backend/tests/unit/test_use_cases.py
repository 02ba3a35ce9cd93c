"""The application's use cases on the in-memory adapters (tests/support/memory/adapters.py): the
real services (commands, session creation, the agent's answer, the trash) without PostgreSQL."""

import uuid
from uuid import UUID

import pytest

from infinite_scribe.application.agent_work import AgentWork
from infinite_scribe.application.command_service import (
    CommandService,
    KeyReused,
    Receipt,
)
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.flows import FlowControl
from infinite_scribe.application.sessions import GenesisSessions
from infinite_scribe.domain.errors import DuplicateCommand, InvalidState, NotFound
from shared_types import EventEnvelope
from tests.support.events import replayed_in_memory
from tests.support.memory.adapters import (
    MemoryDatabase,
    MemoryGenesis,
    MemoryTaskQueries,
    MemoryUnitOfWork,
)

CONFIRM = {"stage": "CONCEPT_SELECTION", "data": {"title": "t"}}


class App:
    def __init__(self) -> None:
        self.db = MemoryDatabase()
        self.uow = MemoryUnitOfWork(self.db)
        self.queries = MemoryGenesis(self.db)
        self.commands = CommandService(self.uow, self.queries)
        self.sessions = GenesisSessions(self.uow, self.queries)
        self.user = uuid.uuid4()
        self.context = RequestContext(user_id=self.user)

    async def session(self) -> UUID:
        state, _ = await self.sessions.create(self.context, {"idea": "a lighthouse"})
        return state.session_id


@pytest.fixture
def app() -> App:
    return App()


async def test_a_command_is_one_read_and_one_write(app: App) -> None:
    session = await app.session()
    before = app.db.commits
    result = await app.commands.execute(app.context, session, "RequestConceptGeneration", {})
    assert result.is_async and result.status == "RECEIVED" and result.task_id is not None
    assert app.db.commits == before + 1  # one write, no transaction
    state = await app.sessions.state(session, app.user)
    assert state.pending_command_type == "RequestConceptGeneration" and state.version == 2
    assert app.db.tables.tasks[result.task_id]["status"] == "PENDING"
    assert replayed_in_memory(app.db.tables, session) == state


async def test_a_pending_twin_is_a_duplicate_and_a_repeated_key_replays(app: App) -> None:
    session = await app.session()
    first = await app.commands.execute(
        app.context, session, "RequestConceptGeneration", {}, idempotency_key="k1"
    )
    with pytest.raises(DuplicateCommand):
        await app.commands.execute(app.context, session, "RequestConceptGeneration", {})
    again = await app.commands.execute(
        app.context, session, "RequestConceptGeneration", {}, idempotency_key="k1"
    )
    assert again.replayed and again.command_id == first.command_id
    assert again.task_id == first.task_id
    assert len(app.db.tables.inbox) == 1


async def test_refusals_write_nothing(app: App) -> None:
    session = await app.session()
    events = len(app.db.tables.events)
    with pytest.raises(InvalidState):
        await app.commands.execute(app.context, session, "SubmitFeedback", {"feedback": "x"})
    with pytest.raises(NotFound):
        other = RequestContext(user_id=uuid.uuid4())
        await app.commands.execute(other, session, "AbandonSession", {})
    assert len(app.db.tables.events) == events and not app.db.tables.inbox


async def test_a_keyed_command_keeps_its_key_in_its_inbox_row_and_answers_again(app: App) -> None:
    session = await app.session()
    # The key and the request's fingerprint go into the command's own inbox row (decision
    # 7204); a repeat is its first answer (the same ids, status and message), marked replayed.
    receipt = Receipt(f"user:{app.user}", "key-1", "fp-1")
    prepared = app.commands.prepare(app.context, session, "ConfirmStage", CONFIRM, "key-1", receipt)
    done = await app.commands.run(prepared)
    assert done == prepared.result and not done.replayed
    assert app.db.tables.inbox[done.command_id]["request_fingerprint"] == "fp-1"
    again = await app.commands.execute(
        app.context, session, "ConfirmStage", CONFIRM, "key-1", receipt=receipt
    )
    assert again.first_answer and again.replayed and again.message == done.message
    assert (again.command_id, again.status, again.task_id) == (done.command_id, "COMPLETED", None)
    with pytest.raises(KeyReused):
        other = Receipt(f"user:{app.user}", "key-1", "fp-2")
        await app.commands.execute(
            app.context, session, "ConfirmStage", CONFIRM, "key-1", receipt=other
        )
    assert (await app.sessions.state(session, app.user)).current_stage.value == "STORY_CONCEPTION"
    assert len(app.db.tables.inbox) == 1


async def test_a_fresh_key_reads_as_no_key_and_a_repeat_reads_its_record(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Decision 8004: the first read of a keyed command asks for no record (a fresh key has
    # none); the state's refusal of a repeat (the stage moved on) reads again with the record,
    # whose answer (the replay) comes before the refusal.
    looked: list[object] = []
    read = MemoryGenesis.command_target

    async def spied(self: MemoryGenesis, session_id: UUID, user_id: UUID, lookup: object) -> object:
        looked.append(lookup)
        return await read(self, session_id, user_id, lookup)  # type: ignore[arg-type]

    monkeypatch.setattr(MemoryGenesis, "command_target", spied)
    session = await app.session()
    receipt = Receipt(f"user:{app.user}", "key-2", "fp-1")
    first = await app.commands.execute(
        app.context, session, "ConfirmStage", CONFIRM, "key-2", receipt
    )
    assert looked == [None] and not first.replayed
    again = await app.commands.execute(
        app.context, session, "ConfirmStage", CONFIRM, "key-2", receipt
    )
    assert again.replayed and again.command_id == first.command_id
    assert looked[1:] == [None, receipt.lookup]


async def test_a_keys_record_answers_before_any_refusal(app: App) -> None:
    # The key's record answers first, whatever would refuse the command (decision 8004): the
    # user's key sent again to a session that is not there is the key reused (422), not 404.
    session = await app.session()
    receipt = Receipt(f"user:{app.user}", "key-3", "fp-1")
    await app.commands.execute(app.context, session, "ConfirmStage", CONFIRM, "key-3", receipt)
    other = Receipt(f"user:{app.user}", "key-3", "fp-2")
    with pytest.raises(KeyReused):
        await app.commands.execute(
            app.context, uuid.uuid4(), "ConfirmStage", CONFIRM, "key-3", other
        )
    with pytest.raises(NotFound):  # no key: the refusal itself
        await app.commands.execute(app.context, uuid.uuid4(), "ConfirmStage", CONFIRM)


async def test_the_agent_answer_finishes_the_task_once_and_registers_the_pause(app: App) -> None:
    session = await app.session()
    asked = await app.commands.execute(app.context, session, "RequestConceptGeneration", {})
    request: EventEnvelope = app.db.tables.events[-1]
    flows = FlowControl(app.uow, None, ttl_seconds=60, source_service="agent")  # type: ignore[arg-type]
    work = AgentWork(app.uow, MemoryTaskQueries(app.db), "agents", "agent", flows)  # type: ignore[arg-type]
    job = await work.begin(request)
    assert job is not None
    assert await work.propose(job, {"concepts": ["A"]}, "test")
    assert not await work.propose(job, {"concepts": ["A"]}, "test")  # a redelivery
    state = await app.sessions.state(session, app.user)
    assert state.last_result == {"concepts": ["A"]} and not state.is_pending
    assert app.db.tables.inbox[asked.command_id]["status"] == "COMPLETED"
    [handle] = app.db.tables.handles.values()
    assert handle.correlation_id == str(asked.command_id)
    assert replayed_in_memory(app.db.tables, session) == state


async def test_a_walk_to_the_end_supersedes_pending_requests_and_makes_the_novel(
    app: App,
) -> None:
    session = await app.session()
    stages = ["CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE"]
    pending = None
    for stage in stages:
        if stage == "WORLDVIEW":  # a request left pending is superseded by the confirm
            pending = await app.commands.execute(app.context, session, "RequestStageGeneration", {})
        confirm = {"stage": stage, "data": {"title": f"{stage} title"}}
        await app.commands.execute(app.context, session, "ConfirmStage", confirm)
    assert pending is not None and pending.task_id is not None
    assert app.db.tables.inbox[pending.command_id]["status"] == "FAILED"
    assert app.db.tables.tasks[pending.task_id]["status"] == "CANCELLED"
    state = await app.sessions.state(session, app.user)
    assert state.current_stage.value == "FINISHED" and state.novel_id is not None
    assert app.db.tables.novels[state.novel_id]["user_id"] == app.user
    assert replayed_in_memory(app.db.tables, session) == state
