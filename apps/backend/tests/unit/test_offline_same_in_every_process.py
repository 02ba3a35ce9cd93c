"""The offline writer writes the same book in every process: nothing it says may follow the
process's hash seed (a set's order). Found by issue 75's identity proof: chapter 1 of this
idea's book cut the outline's later passages in the set's order, and under one seed in six it
said "to find out the truth" where the others said "... about why the ship's"."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

#: The book's session, outline and chapter 1 as the proof drew them; prints the chapter's hash.
_CHAPTER = """
import hashlib, json, uuid
from infinite_scribe.agents.llm.offline.chapters import plan_beats, write_beat
from infinite_scribe.agents.llm.offline.generator import batch_chapters, draft
from infinite_scribe.agents.llm.offline.words import ENGLISH
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.chapter_brief import ChapterBrief, chapter_outline
from infinite_scribe.domain.genesis import STAGE_ORDER
from infinite_scribe.domain.novel import novel_bible
from infinite_scribe.domain.outline_plan import Batch
from infinite_scribe.domain.proposals import PROPOSAL_META
from shared_types.enums import GenesisStage

IDEA = ("Aboard the generation ship Providence, hydroponics engineer Kenji Watanabe discovers "
        "that the ship's AI has been lying about their destination and must expose it before "
        "the Landing Day vote.")
session, confirmed = uuid.UUID(int=1059), {}
for stage in STAGE_ORDER[:-1]:
    proposal = draft(GenerationRequest(session, stage, dict(confirmed), user_input=IDEA), ENGLISH)
    content = {k: v for k, v in proposal.model_dump(mode="json").items() if k not in PROPOSAL_META}
    first = stage is GenesisStage.CONCEPT_SELECTION
    confirmed[stage.value] = content["concepts"][0] if first else content
request = GenerationRequest(session, GenesisStage.PLOT_OUTLINE, dict(confirmed), user_input=IDEA)
entries = [{"title": t, "summary": s} for _, t, s in chapter_outline(confirmed["PLOT_OUTLINE"])]
more = batch_chapters(request, ENGLISH, Batch(2, len(entries) + 1, 12 - len(entries)))
bible = novel_bible(confirmed | {"PLOT_OUTLINE": {"chapters": [*entries, *more][:12]}})
number, title, summary = chapter_outline(bible.outline)[0]
chapter = ChapterBrief(session, number, title, summary, "en", bible, earlier=())
beats = plan_beats(chapter)
prose = [write_beat(chapter, beats, index) for index in range(len(beats))]
print(hashlib.sha256(json.dumps([beats, prose]).encode()).hexdigest())
"""


def _chapter_hash(seed: int) -> str:
    env = os.environ | {"PYTHONHASHSEED": str(seed)}
    done = subprocess.run(
        [sys.executable, "-c", _CHAPTER],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip()


@pytest.mark.corpus
def test_a_chapter_is_the_same_under_every_hash_seed() -> None:
    # Seed 0 wrote the other chapter before the fix; 1 and 2 agree with each other.
    assert len({_chapter_hash(seed) for seed in (0, 1, 2)}) == 1
