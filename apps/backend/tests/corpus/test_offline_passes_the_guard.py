# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Issue 76: the offline writer never trips the guard. Ideas generated at random (names,
places, times and deadlines, a rival named by an epithet or by name, a feedback of either
language's phrasings) are walked through every Genesis stage with their codex, each stage
revised once by a feedback and then confirmed, and the outline's first chapters drafted; the
guard (domain/proposal_guard.py) checks every proposal and every chapter as the pipeline
does. The corpus of tests/data/offline_ideas.json is walked by test_offline_faithful.py."""

from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

from infinite_scribe.agents.llm.offline.chapters import plan_beats, write_beat
from infinite_scribe.agents.llm.offline.generator import draft
from infinite_scribe.agents.llm.offline.words import CHINESE, ENGLISH
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.agents.llm.prompts import prompt_echoes
from infinite_scribe.domain.chapter_brief import ChapterBrief, chapter_outline
from infinite_scribe.domain.codex import Codex, CodexEntry, grown
from infinite_scribe.domain.genesis import STAGE_ORDER
from infinite_scribe.domain.novel import novel_bible
from infinite_scribe.domain.proposal_guard import Asked, Failed, check_chapter, check_stage
from infinite_scribe.domain.proposals import PROPOSAL_META
from infinite_scribe.text import segment
from infinite_scribe.text.codex_reading import feedback_people, offered_edits, read_codex
from shared_types.enums import GenesisStage

#: Random ideas walked through every stage and up to 12 chapters (issue 75): `make test`.
pytestmark = pytest.mark.corpus

_UPPER, _LOWER = "BCDFGHJKLMNPRSTVW", "aeiou"
_SURNAMES = "沈林陆顾苏秦许周陈韩傅索王李白"
_GIVEN = "青婉默川晚满衣安铁山远舟明岚"
_TOWN = "河桥石松枫梅柳"
_ZH_TOWN_END = "镇城港村"


def _en_word(draw: Any) -> str:
    syllables = draw(
        st.lists(
            st.tuples(st.sampled_from(_UPPER), st.sampled_from(_LOWER)), min_size=2, max_size=3
        )
    )
    text = "".join(c + v for c, v in syllables)
    return text[0] + text[1:].lower() + draw(st.sampled_from(["n", "r", "th", "ck", ""]))


@dataclass(frozen=True)
class Idea:
    language: str
    text: str
    codex: Codex
    feedback: str


@st.composite
def english(draw: Any) -> Idea:
    hero, rival, place = _en_word(draw), _en_word(draw), _en_word(draw) + "ton"
    assume(rival != hero)
    year = draw(st.integers(1700, 2300))
    deadline = draw(
        st.sampled_from(["Hogmanay", "the Harvest Festival", "Midsummer", "the spring tide"])
    )
    job = draw(st.sampled_from(["locksmith", "midwife", "ferryman", "archivist", "courier"]))
    thing = draw(st.sampled_from(["a brass key", "a torn map", "a silver locket", "a ledger"]))
    by_epithet = draw(st.booleans())
    foe = "the Magistrate" if by_epithet else f"the smuggler {rival}"
    text = (
        f"In {year} {place}, the {job} {hero} finds {thing} and must return it before "
        f"{deadline}, while {foe} wants it buried."
    )
    people = [CodexEntry("person", hero, "hero")]
    people += [] if by_epithet else [CodexEntry("person", rival, "rival")]
    codex = Codex(
        (*people, CodexEntry("place", place), CodexEntry("time", deadline, "deadline")), "en"
    )
    feedback = draw(
        st.sampled_from(
            [
                "Make it darker.",
                "Add a storm at sea.",
                "I like it, but give it more hope.",
                "hmm, not sure",
            ]
        )
    )
    return Idea("en", text, codex, feedback)


@st.composite
def chinese(draw: Any) -> Idea:
    hero = draw(st.sampled_from(_SURNAMES)) + "".join(
        draw(st.lists(st.sampled_from(_GIVEN), min_size=1, max_size=2))
    )
    rival = draw(st.sampled_from(_SURNAMES)) + "三爷"
    place = (
        draw(st.sampled_from(_TOWN))
        + draw(st.sampled_from(_TOWN))
        + draw(st.sampled_from(_ZH_TOWN_END))
    )
    deadline = draw(st.sampled_from(["除夕", "中秋", "端午节", "清明"]))
    job = draw(st.sampled_from(["锁匠", "接生婆", "船夫", "账房先生", "信差"]))
    thing = draw(st.sampled_from(["一把铜钥匙", "一张海图", "一只银锁", "一本旧账"]))
    text = (
        f"{place}的{job}{hero}捡到{thing}，必须在{deadline}前把它送回去，宿敌{rival}却想把它埋掉。"
    )
    codex = Codex(
        (
            CodexEntry("person", hero, "hero"),
            CodexEntry("person", rival, "rival"),
            CodexEntry("place", place),
            CodexEntry("time", deadline, "deadline"),
        ),
        "zh",
    )
    feedback = draw(
        st.sampled_from(["更黑暗一些", "加一场暴风雨", "整体不错，再多一点希望", "嗯……再想想吧"])
    )
    return Idea("zh", text, codex, feedback)


def _content(proposal: Any) -> dict[str, Any]:
    dumped = proposal if isinstance(proposal, dict) else proposal.model_dump(mode="json")
    return {key: value for key, value in dumped.items() if key not in PROPOSAL_META}


def _walk(idea: Idea, chapters: int) -> list[tuple[str, list[Failed]]]:
    """Every stage's first proposal and its revision, and the first chapters, as checked."""
    words = CHINESE if idea.language == "zh" else ENGLISH
    asked = Asked(idea.language, chapters=chapters)
    session, confirmed, failed = UUID(int=76), {}, []
    # The worker's codex for the revision: the people the feedback adds, the edits it offers.
    added = feedback_people(idea.feedback, idea.codex)
    codex = grown(idea.codex.as_json(), added, "feedback")
    offered = offered_edits(idea.feedback, idea.codex)
    for stage in STAGE_ORDER:
        if stage is GenesisStage.FINISHED:
            continue
        request = GenerationRequest(
            session,
            stage,
            dict(confirmed),
            user_input=idea.text,
            preferences={"chapters": chapters},
            codex=idea.codex.as_json(),
        )
        first = draft(request, words).model_dump(mode="json")
        again = replace(request, feedback=idea.feedback, previous_proposal=first,
                        codex=codex.as_json(), offered_edits=offered)  # fmt: skip
        revised = draft(again, words)
        for content, held in ((_content(first), idea.codex), (_content(revised), codex)):
            found = check_stage(stage.value, content, held, asked, prompt_echoes())
            failed.append((stage.value, found))
        content = _content(revised)
        confirmed[stage.value] = content["concepts"][0] if "concepts" in content else content
    bible = novel_bible(confirmed)
    outline = chapter_outline(bible.outline)
    for number, title, summary in outline[:2]:
        brief = ChapterBrief(
            UUID(int=76),
            number,
            title,
            summary,
            idea.language,
            bible,
            earlier=tuple(outline[: number - 1]),
        )
        beats = plan_beats(brief)
        text = "\n\n".join(write_beat(brief, beats, index) for index in range(len(beats)))
        book = [entry[2] for entry in brief.earlier]
        found = check_chapter(text, beats, Codex(), idea.language, book, prompt_echoes())
        failed.append((f"chapter {number}", found))
    return [(where, found) for where, found in failed if found]


#: Ideas of the walks the reader read wrong, as the worker reads them (the codex read from the
#: idea): "In 1911 Aoife Rooney keeps ..." read the hero as the place, and the cast was refused
#: six times of six (GUARD_ROLE_INVENTED); the feedbacks rename the rival and add someone.
SKELLIG = (
    "In 1911{} Aoife Rooney keeps the lighthouse on Skellig Rock with her rival, the harbour "
    "master Declan Furey, who wants the light sold to the Congested Districts Board."
)
WALKED = [
    Idea("en", idea, read_codex(idea), feedback)
    for idea in (SKELLIG.format(""), SKELLIG.format(","))
    for feedback in (
        "Add Morag Quinlan, a net-mender from Inishbofin who hides Aoife's letters",
        "Rename the rival Declan Furey to Cathal Breen.",
    )
]


def _walked(test: Any) -> Any:
    for idea in WALKED:
        test = example(idea=idea, chapters=3)(test)
    return test


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(idea=st.one_of(english(), chinese()), chapters=st.integers(1, 12))
@_walked
def test_the_offline_writer_never_trips_the_guard(idea: Idea, chapters: int) -> None:
    segment.warm()
    assert _walk(idea, chapters) == [], idea.text
