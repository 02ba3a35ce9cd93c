"""The offline generator, streamed: the proposal it makes is handed to `draft` in chunks over
`seconds`, the way a model writes, so `make run` shows drafts arriving without a model.

A thin layer: what the generator writes is offline.py's business; this only paces it.
"""

import asyncio
from typing import Any

from infinite_scribe.agents.llm.offline.generator import OfflineGenerator
from infinite_scribe.agents.llm.port import DraftCallback, GenerationRequest, prefix_of
from infinite_scribe.domain.outline_plan import BatchBrief
from infinite_scribe.domain.proposals import Proposal

#: Chunks a proposal is streamed in.
CHUNKS = 12


class StreamingOffline:
    """`LLMProvider`: the offline generator's proposal, streamed over `seconds`."""

    name = "offline"

    def __init__(self, seconds: float, generator: OfflineGenerator | None = None) -> None:
        self.seconds = seconds
        self.generator = generator or OfflineGenerator()
        #: A proposal's provenance names the generator's.
        self.model, self.prompt_version = OfflineGenerator.model, OfflineGenerator.prompt_version

    async def generate(
        self,
        request: GenerationRequest,
        draft: DraftCallback | None = None,
    ) -> Proposal:
        proposal = await self.generator.generate(request)
        if draft is not None and self.seconds > 0:
            text = proposal.model_dump_json()
            size = -(-len(text) // CHUNKS)
            for end in range(size, len(text) + size, size):
                draft(prefix_of(text, end))
                await asyncio.sleep(self.seconds / CHUNKS)
        return proposal

    async def outline_chapters(
        self,
        request: GenerationRequest,
        brief: BatchBrief,
        draft: DraftCallback | None = None,
    ) -> list[dict[str, Any]]:
        """A batch of a long outline's chapters (not paced: a batch is a part of one draft)."""
        return await self.generator.outline_chapters(request, brief)

    async def aclose(self) -> None:
        await self.generator.aclose()
