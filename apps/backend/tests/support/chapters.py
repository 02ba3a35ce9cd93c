# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Chapters for tests (issue 39): a novel's bible made by the offline generator's own Genesis
(each stage's first proposal confirmed as it is), and briefs for its outline's chapters."""

from typing import Any
from uuid import UUID

from infinite_scribe.agents.llm.offline import OfflineGenerator
from infinite_scribe.agents.llm.offline.generator import batch_chapters
from infinite_scribe.agents.llm.offline.words import CHINESE, ENGLISH
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.chapter_brief import EARLIER_CHAPTERS, ChapterBrief, chapter_outline
from infinite_scribe.domain.genesis import STAGE_ORDER
from infinite_scribe.domain.novel import NovelBible, novel_bible
from infinite_scribe.domain.outline_plan import Batch
from infinite_scribe.domain.proposals import PROPOSAL_META
from shared_types.enums import GenesisStage

NOVEL = UUID(int=39)
ZH_IDEA = "2150年的火星殖民地，一名女法医发现氧气配给记录被人篡改。"
EN_IDEA = "A forensic doctor on Mars in 2150 discovers that the oxygen ledger has been falsified."
IDEAS = {"zh": ZH_IDEA, "en": EN_IDEA}


async def genesis_confirmed(idea: str) -> dict[str, Any]:
    """What a writer who confirms every first offline proposal has confirmed."""
    confirmed: dict[str, Any] = {}
    for stage in STAGE_ORDER:
        if stage is GenesisStage.FINISHED:
            continue
        request = GenerationRequest(
            session_id=NOVEL, stage=stage, confirmed_data=dict(confirmed), user_input=idea
        )
        proposal = (await OfflineGenerator().generate(request)).model_dump(mode="json")
        content = {key: value for key, value in proposal.items() if key not in PROPOSAL_META}
        if stage is GenesisStage.CONCEPT_SELECTION:
            content = content["concepts"][0]
        confirmed[stage.value] = content
    return confirmed


async def genesis_bible(language: str) -> NovelBible:
    return novel_bible(await genesis_confirmed(IDEAS[language]))


def brief(bible: NovelBible, language: str, number: int, **extra: Any) -> ChapterBrief:
    """Chapter `number` of the bible's outline, the chapters before it confirmed."""
    chapters = chapter_outline(bible.outline)
    _, title, summary = chapters[number - 1]
    fields: dict[str, Any] = {"earlier": tuple(chapters[: number - 1])} | extra
    return ChapterBrief(NOVEL, number, title, summary, language, bible, **fields)


def people(bible: NovelBible) -> list[tuple[str, str]]:
    """(name, role) of the bible's characters."""
    return [(card["name"], card["role"]) for card in bible.characters["characters"]]


def places(bible: NovelBible) -> list[str]:
    return [place["name"] for place in bible.worldview["locations"]]


def whole_book(confirmed: dict[str, Any], language: str, count: int) -> list[ChapterBrief]:
    """Briefs of a `count`-chapter book as the worker gives them: the plot stage's outline
    extended by the offline generator's outline batches, each chapter with the EARLIER_CHAPTERS
    confirmed before it."""
    request = GenerationRequest(
        NOVEL, GenesisStage.PLOT_OUTLINE, dict(confirmed), user_input=IDEAS[language]
    )
    entries = [{"title": t, "summary": s} for _, t, s in chapter_outline(confirmed["PLOT_OUTLINE"])]
    words = CHINESE if language == "zh" else ENGLISH
    first = len(entries) + 1
    more = batch_chapters(request, words, Batch(2, first, max(count - first + 1, 0)))
    bible = novel_bible(confirmed | {"PLOT_OUTLINE": {"chapters": [*entries, *more][:count]}})
    chapters = chapter_outline(bible.outline)
    return [
        ChapterBrief(
            NOVEL,
            number,
            title,
            summary,
            language,
            bible,
            earlier=tuple(chapters[max(number - 1 - EARLIER_CHAPTERS, 0) : number - 1]),
        )
        for number, title, summary in chapters
    ]
