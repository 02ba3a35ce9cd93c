"""The agent's generation handler with fakes at its ports (issue 25): the unit of work (begin,
propose, fail, still wanted), the model provider and the dead-letter topic. A proposal is
published once; a retryable failure is retried with backoff, then the task fails and the
message goes to the dead letters (in that order); a request nobody wants any more is skipped;
a cancelling event stops the model call (other event types are the worker's routing's:
test_agent_worker_parts.py)."""

import asyncio
import uuid
from typing import Any

import pytest

from infinite_scribe.agents.answering import Streaming
from infinite_scribe.agents.attempts import Retrying
from infinite_scribe.agents.cancellation import Cancellations
from infinite_scribe.agents.generation import GenerationHandler
from infinite_scribe.agents.heartbeats import Heartbeats
from infinite_scribe.agents.llm.offline import OfflineGenerator
from infinite_scribe.agents.llm.port import GenerationError, ProviderRejected, ProviderUnavailable
from infinite_scribe.agents.metrics import AgentMetrics
from infinite_scribe.application.agent_work import Job
from infinite_scribe.application.ports.tasks import TaskRecord
from infinite_scribe.domain.genesis import CONCEPT_GENERATION_REQUESTED, GenesisState
from infinite_scribe.kafka.consumer import Delivery
from shared_types import EventEnvelope, GenesisStage

SESSION, USER = uuid.uuid4(), uuid.uuid4()


class FakeWork:
    """The AgentWork port: scripted answers, recorded calls."""

    consumer = "test-agent"

    def __init__(self, wanted: bool = True, begins: bool = True, model: str | None = None) -> None:
        self.wanted, self.begins, self.model = wanted, begins, model
        self.calls: list[str] = []
        self.proposals: list[dict[str, Any]] = []
        self.provenances: list[dict[str, Any]] = []

    async def begin(self, request: EventEnvelope) -> Job | None:
        self.calls.append("begin")
        if not self.begins:
            return None
        task = TaskRecord(
            uuid.uuid4(), "t", "RUNNING", uuid.uuid4(), USER, SESSION, uuid.uuid4(), 0
        )
        state = GenesisState(SESSION, USER, pending_command_type="RequestConceptGeneration")
        return Job(request, task, GenesisStage.CONCEPT_SELECTION, state, model=self.model)

    async def propose(
        self,
        job: Job,
        proposal: dict[str, Any],
        provider: str,
        provenance: dict[str, Any] | None = None,
        recorded: Any = None,
    ) -> bool:
        self.calls.append("propose")
        self.proposals.append(proposal)
        self.provenances.append(provenance or {})
        return True

    async def fail(self, job: Job, error_code: str, error: str, attempts: int) -> bool:
        self.calls.append(f"fail {error_code} after {attempts}")
        return True

    async def still_wanted(self, job: Job) -> bool:
        self.calls.append("still_wanted")
        return self.wanted


class FakeDeadLetters:
    def __init__(self, work: FakeWork) -> None:
        self.work = work

    async def send(self, delivery: Delivery, error_class: str, error: str) -> None:
        self.work.calls.append(f"dead letter {error_class}")


class Scripted:
    """A provider that fails with `errors` first, then answers as the offline generator."""

    name = "scripted"

    def __init__(self, *errors: GenerationError, block: bool = False) -> None:
        self.errors, self.block = list(errors), block
        self.calls = 0
        self.started = asyncio.Event()

    async def generate(self, request: Any, draft: Any = None) -> Any:
        self.calls += 1
        self.started.set()
        if self.block:
            await asyncio.Event().wait()  # a model that never answers (until cancelled)
        if self.errors:
            raise self.errors.pop(0)
        return await OfflineGenerator().generate(request)


class NoDrafts:
    def publish(self, *args: Any) -> None:
        return None


def _handler(
    work: FakeWork,
    provider: Any,
    cancellations: Cancellations | None = None,
    models: dict[str, Any] | None = None,
) -> Any:
    async def touch(task_ids: list[uuid.UUID]) -> None:
        return None

    streaming = Streaming(NoDrafts(), 0.0, cancellations or Cancellations(), Heartbeats(touch, 1))
    retrying = Retrying(
        FakeDeadLetters(work),  # type: ignore[arg-type]
        AgentMetrics(),
        attempts=3,
        backoff_seconds=0.001,
    )
    handler = GenerationHandler(
        work,  # type: ignore[arg-type]
        provider,
        streaming,
        retrying,
        models=models,
    )
    return handler


def _delivery(event_type: str = CONCEPT_GENERATION_REQUESTED) -> Delivery:
    request = EventEnvelope(
        event_type=event_type,
        aggregate_type="GENESIS_SESSION",
        aggregate_id=str(SESSION),
        payload={"stage": "CONCEPT_SELECTION"},
    )
    headers = {"ce_type": event_type.encode()}
    return Delivery(
        "events", 0, 7, str(SESSION).encode(), request.model_dump_json().encode(), headers
    )


async def test_a_request_is_answered_with_one_proposal() -> None:
    work = FakeWork()
    await _handler(work, Scripted())(_delivery())
    assert work.calls == ["begin", "propose"]
    assert work.proposals[0]["concepts"]


async def test_a_retryable_failure_is_retried_then_answered() -> None:
    work = FakeWork()
    provider = Scripted(ProviderUnavailable("503"), ProviderUnavailable("503"))
    await _handler(work, provider)(_delivery())
    assert provider.calls == 3 and work.calls == ["begin", "propose"]
    # The provenance says how many attempts it took and what the provider did not report.
    reported = work.provenances[0]
    assert reported["attempts"] == 3
    assert reported["tokens_in"] is None and reported["tokens_out"] is None
    assert reported["latency_ms"] >= 0


@pytest.mark.parametrize(
    ("errors", "calls"),
    [
        ((ProviderUnavailable("503"),) * 3, 3),  # retried until the attempts are spent
        ((ProviderRejected("401"),), 1),  # not retryable: given up at once
    ],
)
async def test_a_failure_for_good_dead_letters_then_fails_the_task(
    errors: tuple[GenerationError, ...], calls: int
) -> None:
    work = FakeWork()
    provider = Scripted(*errors)
    await _handler(work, provider)(_delivery())
    code = errors[0].code
    assert provider.calls == calls
    assert work.calls == ["begin", f"dead letter {code}", f"fail {code} after {calls}"]


async def test_a_request_nobody_wants_any_more_is_skipped() -> None:
    work = FakeWork(begins=False)
    provider = Scripted()
    await _handler(work, provider)(_delivery())
    assert work.calls == ["begin"] and provider.calls == 0


async def test_a_cancelling_event_stops_the_model_call() -> None:
    work, cancellations = FakeWork(wanted=False), Cancellations()
    provider = Scripted(block=True)
    handling = asyncio.create_task(_handler(work, provider, cancellations)(_delivery()))
    await asyncio.wait_for(provider.started.wait(), 5)
    cancellations.peek(_delivery("Genesis.Session.StageConfirmed"))
    await asyncio.wait_for(handling, 5)
    assert work.calls == ["begin", "still_wanted"]  # stopped: nothing proposed, nothing failed


async def test_a_regeneration_runs_on_the_model_it_names() -> None:
    """Issue 55: the named model's provider answers, the worker's own is not called."""
    work, named, own = FakeWork(model="offline"), Scripted(), Scripted()
    await _handler(work, own, models={"offline": named})(_delivery())
    assert (named.calls, own.calls) == (1, 0) and work.calls == ["begin", "propose"]


async def test_a_regeneration_naming_a_model_the_worker_lacks_fails_at_once() -> None:
    work, own = FakeWork(model="gpt-99"), Scripted()
    await _handler(work, own, models={"offline": own})(_delivery())
    assert own.calls == 0
    assert work.calls == [
        "begin",
        "dead letter LLM_UNKNOWN_MODEL",
        "fail LLM_UNKNOWN_MODEL after 1",
    ]
