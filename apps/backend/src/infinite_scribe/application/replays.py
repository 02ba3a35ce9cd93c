"""What replaying dead letters does, letter by letter (issue 56): a failed generation's
request is re-driven (application/redrives.py: its command sent again, so a new attempt runs);
any other letter written by a worker is published again to its original topic (a consumer
that failed on it for a reason since fixed takes it; one that handled it dedupes by event id);
a letter without its origin (produced to the topic by hand) is refused."""

from infinite_scribe.application.ports.operator import DeadLetterTopic, DeadLetterView
from infinite_scribe.application.redrives import (
    REFUSED,
    REPUBLISHED,
    GenerationRedrive,
    LetterOutcome,
)


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
