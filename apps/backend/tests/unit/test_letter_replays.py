"""What a replay does with each letter (application/redrives.py): the refusals and
their reasons, on stand-in ports (the real path: agents/test_dead_letter_redrive.py)."""

import uuid
from typing import Any

from infinite_scribe.application.ports.operator import DeadLetterView, FailedRequest
from infinite_scribe.application.redrives import GenerationRedrive, LetterReplays
from infinite_scribe.domain.errors import GenerationPending

EVENT = uuid.uuid4()


def letter(offset: int, event_id: uuid.UUID | None = EVENT, origin: bool = True) -> DeadLetterView:
    return DeadLetterView(0, offset, "k", "X", "e", "t/0/1", None, None, event_id, origin)


class Topic:
    def __init__(self, letters: list[DeadLetterView], acked: int | None = None) -> None:
        self.stored, self.acked, self.replayed = letters, acked, []  # type: list[str]

    async def letters(self) -> list[DeadLetterView]:
        return self.stored

    async def replay(self, positions: list[str]) -> int:
        self.replayed += positions
        return len(positions) if self.acked is None else self.acked


class Requests:
    def __init__(self, found: FailedRequest | None) -> None:
        self.found = found

    async def behind(self, request_event_id: uuid.UUID) -> FailedRequest | None:
        return self.found


class Refusing:
    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        raise GenerationPending("A generation is already pending")


def failed(status: str = "FAILED", superseded: bool = False, kind: str = "S") -> FailedRequest:
    return FailedRequest(status, kind, uuid.uuid4(), uuid.uuid4(), "RequestX", {}, superseded)


def replays(topic: Topic, found: FailedRequest | None) -> LetterReplays:
    return LetterReplays(topic, GenerationRedrive(Requests(found), {"S": Refusing()}))  # type: ignore[dict-item]


async def outcomes(topic: Topic, found: FailedRequest | None, *positions: str) -> list[str]:
    return [str(o) for o in await replays(topic, found).replay(list(positions))]


async def test_each_refusal_says_why() -> None:
    topic = Topic([letter(1), letter(2, origin=False)])
    assert await outcomes(topic, failed("COMPLETED"), "0:1") == [
        "refused: its task is COMPLETED, not FAILED: nothing to re-drive"
    ]
    assert await outcomes(topic, failed(superseded=True), "0:1") == [
        "refused: the writer asked again since: the failed request is superseded"
    ]
    assert await outcomes(topic, failed(kind="OTHER"), "0:1") == [
        "refused: no command service for its aggregate"
    ]
    assert await outcomes(topic, failed(), "0:1") == [
        "refused: the RequestX is refused: A generation is already pending"
    ]
    assert await outcomes(topic, failed(), "0:2", "0:9") == [
        "refused: no dlq_original_topic header (not written by a worker): nowhere to send it",
        "refused: no longer in the dead-letter topic",
    ]
    assert topic.replayed == []


async def test_a_letter_no_task_answers_is_published_again() -> None:
    topic = Topic([letter(1), letter(2, event_id=None)])
    assert (
        await outcomes(topic, None, "0:1", "0:2")
        == ["republished: published again to its original topic"] * 2
    )
    assert topic.replayed == ["0:1", "0:2"]


async def test_a_partial_acknowledgement_counts_none() -> None:
    topic = Topic([letter(1, event_id=None), letter(2, event_id=None)], acked=1)
    assert (
        await outcomes(topic, None, "0:1", "0:2")
        == ["refused: the broker acknowledged 1 of 2: try again"] * 2
    )
