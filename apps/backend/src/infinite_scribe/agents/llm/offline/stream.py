"""The offline generator, streamed: the proposal it makes is handed to `draft` in chunks over
`seconds`, the way a model writes, so `make run` shows drafts arriving without a model."""

import asyncio

from infinite_scribe.agents.llm.offline.generator import OfflineGenerator
from infinite_scribe.agents.llm.port import DraftCallback, GenerationRequest, prefix_of
from infinite_scribe.domain.proposals import Proposal

CHUNKS = 12  # a proposal is streamed in this many


class StreamingOffline(OfflineGenerator):
    """`LLMProvider`: the offline proposal streamed over `seconds` (not its outline batches)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def generate(
        self, request: GenerationRequest, draft: DraftCallback | None = None
    ) -> Proposal:
        proposal = await super().generate(request)
        if draft is not None and self.seconds > 0:
            text = proposal.model_dump_json()
            size = -(-len(text) // CHUNKS)
            for end in range(size, len(text) + size, size):
                draft(prefix_of(text, end))
                await asyncio.sleep(self.seconds / CHUNKS)
        return proposal
