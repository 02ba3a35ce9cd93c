"""Replaying dead letters, letter by letter (issue 56). A failed generation's request is
re-driven: the writer's command behind it is sent again, as a new command of the same writer (a
new request event, task and attempt in the log, caused by nothing the writer did not already ask
for), so the worker, which skips a request whose task has finished, really runs it again.
Refused, with the reason, when there is nothing to re-drive: the task did not fail, the writer
asked again since, or the aggregate refuses the command now (a stage confirmed meanwhile, the
session in the trash, a request of the kind pending). Temporal's reset makes a new run the same
way. Any other letter written by a worker is published again to its original topic (a consumer
that failed on it for a reason since fixed takes it; one that handled it dedupes by event id);
a letter without its origin (produced to the topic by hand) is refused."""

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from infinite_scribe.application.command_service import CommandService
from infinite_scribe.application.context import RequestContext
from infinite_scribe.application.ports.operator import (
    DeadLetterTopic,
    DeadLetterView,
    FailedRequests,
)
from infinite_scribe.domain.errors import ConcurrencyConflict, ScribeError, StorageUnavailable

RE_DRIVEN = "re-driven"
REPUBLISHED = "republished"
REFUSED = "refused"
#: Where a re-driven command's events say they came from.
SOURCE_SERVICE = "operator-replay"


@dataclass(frozen=True)
class LetterOutcome:
    """What a replay did with one dead letter: `outcome` is RE_DRIVEN, REPUBLISHED or
    REFUSED; `detail` says how (the new task) or why not, in the operator's words."""

    position: str
    outcome: str
    detail: str

    def __str__(self) -> str:
        return f"{self.outcome}: {self.detail}"


class GenerationRedrive:
    """Sends a failed generation's command again; `services` by aggregate type."""

    def __init__(self, requests: FailedRequests, services: Mapping[str, CommandService]) -> None:
        self.requests = requests
        self.services = services

    async def redrive(self, position: str, request_event_id: UUID) -> LetterOutcome | None:
        """The letter's outcome; None when no task answers its event (not a generation
        request: the caller publishes the letter again instead)."""
        failed = await self.requests.behind(request_event_id)
        if failed is None:
            return None
        service = self.services.get(failed.aggregate_type)
        refusal = _refusal(failed.task_status, failed.superseded, service is not None)
        if refusal is not None:
            return LetterOutcome(position, REFUSED, refusal)
        assert service is not None
        context = RequestContext(user_id=failed.user_id, source_service=SOURCE_SERVICE)
        try:
            # The key makes a second replay of this letter the same command, not a second run.
            result = await service.execute(
                context,
                failed.aggregate_id,
                failed.command_type,
                failed.payload,
                idempotency_key=f"redrive:{request_event_id}",
            )
        except (StorageUnavailable, ConcurrencyConflict):
            raise
        except ScribeError as error:
            return LetterOutcome(
                position, REFUSED, f"the {failed.command_type} is refused: {error}"
            )
        if result.replayed:
            return LetterOutcome(position, REFUSED, "already re-driven by an earlier replay")
        return LetterOutcome(
            position, RE_DRIVEN, f"{failed.command_type} sent again: task {result.task_id}"
        )


def _refusal(status: str, superseded: bool, known: bool) -> str | None:
    if status != "FAILED":
        return f"its task is {status}, not FAILED: nothing to re-drive"
    if superseded:
        return "the writer asked again since: the failed request is superseded"
    if not known:
        return "no command service for its aggregate"
    return None


class LetterReplays:
    def __init__(self, topic: DeadLetterTopic, redrive: GenerationRedrive | None) -> None:
        self.topic = topic
        self.redrive = redrive

    async def replay(self, positions: list[str]) -> list[LetterOutcome]:
        wanted = set(positions)
        letters = {
            letter.position: letter
            for letter in await self.topic.letters()
            if letter.position in wanted
        }
        outcomes: list[LetterOutcome] = []
        republish: list[str] = []
        for position in positions:
            letter = letters.get(position)
            decided = await self._decided(position, letter)
            if decided is None:
                republish.append(position)
            else:
                outcomes.append(decided)
        return outcomes + await self._republished(republish)

    async def _decided(self, position: str, letter: DeadLetterView | None) -> LetterOutcome | None:
        """The letter's outcome when it is decided here; None: publish it again."""
        if letter is None:
            return LetterOutcome(position, REFUSED, "no longer in the dead-letter topic")
        if not letter.has_origin:
            reason = "no dlq_original_topic header (not written by a worker): nowhere to send it"
            return LetterOutcome(position, REFUSED, reason)
        if self.redrive is None or letter.event_id is None:
            return None
        return await self.redrive.redrive(position, letter.event_id)

    async def _republished(self, positions: list[str]) -> list[LetterOutcome]:
        if not positions:
            return []
        acknowledged = await self.topic.replay(positions)
        if acknowledged < len(positions):
            # Which ones the broker took is unknown: none counts, all may be replayed again
            # (a consumer dedupes a copy by its event id).
            reason = f"the broker acknowledged {acknowledged} of {len(positions)}: try again"
            return [LetterOutcome(position, REFUSED, reason) for position in positions]
        detail = "published again to its original topic"
        return [LetterOutcome(position, REPUBLISHED, detail) for position in positions]
