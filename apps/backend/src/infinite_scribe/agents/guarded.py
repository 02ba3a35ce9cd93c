"""The guard's one call site in the agents (issue 76): every proposal, a Genesis stage's or a
chapter's, from the offline writer or a model, is checked by `domain/proposal_guard.py`
before it is stored for the writer. A failed one is asked again once with the failed checks
named; a second failure ends the task with `ProposalRefused` (its code, the checks, in the
writer's language) through the usual generation-failed path, and the session stays usable.
A chapter draft's contradictions of the story memory (issue 78) are asked again the same way
but never refuse: the draft is shown with them beside it.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from infinite_scribe.agents.llm.language import writer_language
from infinite_scribe.agents.llm.port import GenerationError, GenerationRequest
from infinite_scribe.domain.codex import Codex
from infinite_scribe.domain.proposal_guard import Asked, Failed, reason

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: The checks a proposal is read by: `check(proposal)` -> what failed ([]: it may be shown).
Check = Callable[[T], list[Failed]]


class ProposalRefused(GenerationError):
    """The guard refused a proposal twice: nothing reaches the writer; the task fails with
    this code and a reason the writer reads (the failed checks, in their language)."""

    code = "PROPOSAL_REFUSED"
    default_retryable = False  # the one retry with the checks named was the retry

    def __init__(self, failed: list[Failed], language: str) -> None:
        super().__init__(reason(failed, language))
        self.checks = [item.code for item in failed]

    def to_dict(self) -> dict[str, Any]:
        return super().to_dict() | {"checks": self.checks}


async def held(
    produce: Callable[[tuple[str, ...]], Awaitable[T]], check: Check[T], language: str
) -> tuple[T, list[Failed]]:
    """`produce(())`'s proposal once the guard passes it; else `produce(failed checks)`'s;
    else ProposalRefused. With the notes (failures with a `finding`: a chapter draft that
    contradicts the story memory) the shown proposal still holds: they never refuse, they
    are asked again once and then shown beside it. The checks run off the loop (a long
    outline or chapter is text)."""
    proposal = await produce(())
    failed = await asyncio.to_thread(check, proposal)
    if not failed:
        return proposal, []
    logger.info("guard asked again once: %s", ", ".join(f.code for f in failed))
    proposal = await produce(tuple(f"{f.code}: {f.said(language)}" for f in failed))
    failed = await asyncio.to_thread(check, proposal)
    refused = [item for item in failed if item.finding is None]
    if refused:
        raise ProposalRefused(refused, language)
    return proposal, failed


def asked_of(request: GenerationRequest, codex: Codex) -> Asked:
    """What the writer asked that a proposal is counted against: their language, the chapters
    and options asked for. The language is the one every generator is told to write in (the
    offline writer's words, a model's prompt): `writer_language` of the writer's own words.
    Not the codex's: it is read from the idea alone, so an idea that is blank (a writer who
    gave only Chinese themes) or in another language than the rest leaves it `en`, and the
    entries a confirmed stage adds never correct it."""
    language = writer_language(request)
    said = f"{request.user_input or ''}\n{request.feedback or ''}"[:_SAID]
    return Asked(
        language, chapters=request.chapters_asked, options=request.options_asked, said=said
    )


#: Of the writer's words, what the guard sets apart from the options' own (bounded: a guard's
#: cost is a proposal's, whatever the idea's length).
_SAID = 4000
