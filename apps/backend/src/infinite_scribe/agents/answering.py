"""What the agent's two model handlers (a Genesis stage's proposal, agents/generation.py, and a
chapter's draft, agents/chapters.py) do alike around their model call: where drafts go
(`Streaming`), and one request's way from its delivery to its answer (`ModelHandler`): begun,
watched for cancellation, its task kept alive, the call retried (agents/attempts.py), answered."""

import asyncio
import contextlib
import functools
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from infinite_scribe.agents.attempts import Attempted, Retrying, received
from infinite_scribe.agents.cancellation import Cancellations
from infinite_scribe.agents.drafts import DraftSink, DraftThrottle
from infinite_scribe.agents.follows import Follows
from infinite_scribe.agents.heartbeats import Heartbeats
from infinite_scribe.agents.llm.port import Usage, metering, progress_to
from infinite_scribe.application.ports.tasks import TaskRecord
from infinite_scribe.kafka.consumer import Delivery
from shared_types import EventEnvelope


@dataclass(frozen=True)
class Streaming:
    """Where drafts go and how often, who hears of cancellations, who keeps tasks alive, and
    whose streams are followed (drafts only for those)."""

    drafts: DraftSink
    draft_interval: float
    cancellations: Cancellations
    heartbeats: Heartbeats
    follows: Follows = field(default_factory=lambda: Follows(None))

    def throttle(
        self,
        sink: DraftSink,
        stream: str,
        task_id: str,
        stage: str,
        extra: dict[str, Any] | None = None,
    ) -> DraftThrottle:
        """The draft callback of one generation for `stream` (a session's or a novel's id);
        its held text goes out as soon as the stream turns out followed."""
        throttle = DraftThrottle(
            sink,
            stream,
            task_id,
            stage,
            self.draft_interval,
            extra,
            followed=lambda: self.follows.is_followed(stream),
        )
        throttle.on_close = self.follows.on_followed(stream, throttle.poke)
        return throttle

    @contextlib.contextmanager
    def working(self, task: TaskRecord) -> Iterator[Callable[[str], None]]:
        """While `task` is worked on: its heartbeat, its session's stream watched for a
        follower (its drafts are sent once one follows), and what it says meanwhile (the
        gate's waits, the retries: the task's message), through what this yields."""
        heartbeats = self.heartbeats

        def tell(message: str) -> None:
            heartbeats.say(task.task_id, message)

        with (
            heartbeats.running(task.task_id),
            self.follows.watching(str(task.session_id)),
            progress_to(tell),
        ):
            yield tell


class Job(Protocol):
    """A job a handler has begun (agent_work.Job, chapter_work.ChapterJob)."""

    @property
    def task(self) -> TaskRecord: ...


J = TypeVar("J", bound=Job)
R = TypeVar("R")


class Work(Protocol[J]):
    """The use cases a handler's job goes through (AgentWork, ChapterWork)."""

    consumer: str

    async def begin(self, request: EventEnvelope) -> J | None: ...

    async def fail(self, job: J, error_code: str, error: str, attempts: int) -> bool: ...


class ModelHandler(ABC, Generic[J, R]):
    """Handles one request whose answer is a model call's (`_call`, then `_answer`)."""

    #: What the log lines and the retries' warnings call the request's task.
    what: ClassVar[str]

    def __init__(self, work: Work[J], streaming: Streaming, retrying: Retrying) -> None:
        self.work, self.streaming, self.retrying = work, streaming, retrying
        self.metrics = retrying.metrics

    async def __call__(self, delivery: Delivery) -> None:
        with received(delivery, self.work.consumer) as request:
            # Watched from before `begin`: a cancellation that arrives meanwhile is not missed.
            with self.streaming.cancellations.watch(request.aggregate_id) as cancelled:
                job = await self._begin(request)
                if job is None:
                    self.metrics.skipped.inc()
                    return
                started = time.monotonic()
                with self.streaming.working(job.task) as tell, metering() as usage:
                    done = await self.retrying.settled(
                        lambda: self._call(job, cancelled),
                        delivery,
                        f"{self.what} task {job.task.task_id}",
                        functools.partial(self.work.fail, job),
                        what=self.what,
                        tell=tell,
                    )
                    if done is not None:
                        await self._answer(job, done, usage)
            self.metrics.duration.observe(time.monotonic() - started)

    async def _begin(self, request: EventEnvelope) -> J | None:
        return await self.work.begin(request)

    @abstractmethod
    async def _call(self, job: J, cancelled: asyncio.Event) -> R:
        """The model call (one attempt); Cancelled once `cancelled` and the job is unwanted."""

    @abstractmethod
    async def _answer(self, job: J, done: Attempted[R], usage: Usage) -> None:
        """Write what the call returned (the proposal, the draft) and count it."""
