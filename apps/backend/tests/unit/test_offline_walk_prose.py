"""The offline writer's outline and prose over a whole walk (stop 85's hand walks): no capital
opens a clause after a semicolon unless a name does, and no outline says a long phrase twice."""

import json
import re
from typing import Any
from uuid import uuid4

import pytest

from infinite_scribe.agents.llm.offline.generator import OfflineGenerator
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.codex import grown
from infinite_scribe.text.codex_reading import read_codex
from shared_types.enums import GenesisStage
from tests.support.codex_ideas import GLASS, IDEA_ZH, TRAIN
from tests.support.offline_walk import walk_stages as _walk

#: Two ideas of the last walk without a search in them, each naming its rival.
REPAIR = (
    "Odile Marchetti must repair a cracked chandelier for the Doge's palace before the Feast of "
    "the Redeemer; her rival, Bastien Vogl, bribes the furnace keepers."
)
EMBROIDERY = "绣娘沈清秋要在中秋节前绣完一幅百鸟朝凤图，对手是苏州城里的绣庄老板周万金。"  # noqa: RUF001


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


@pytest.mark.parametrize("idea", [GLASS, TRAIN])
async def test_no_clause_after_a_semicolon_opens_with_a_capital_unless_a_name(idea: str) -> None:
    """The hand walk of stop 84: a location read "Where Odile Marchetti lives and works; What
    happened comes to light here" (a template's capitalised slot after a semicolon)."""
    codex = read_codex(idea).as_json()
    confirmed = await _walk(idea, codex)
    names = json.dumps(confirmed, ensure_ascii=False)
    capitals = [m.group(0) for text in _texts(confirmed)
                for m in re.finditer(r"; ([A-Z][a-z]+)", text)]  # fmt: skip
    wrong = [c for c in capitals if not re.search(rf"\b{c[2:]} [A-Z]", names)]
    assert not wrong, wrong


@pytest.mark.parametrize(
    "idea",
    [
        GLASS,
        TRAIN,
        IDEA_ZH,
        "A forensic doctor on Mars in 2150 discovers that the oxygen ledger was falsified.",
    ],
)
async def test_no_outline_says_a_long_phrase_twice(idea: str) -> None:
    """Stop 85: a sharper core ("why the oxygen ledger was falsified", once "what happened") was
    said in two chapters' summaries, and the book's own continuity check called the second a
    repetition (the chapters tell their summaries)."""
    confirmed = await _walk(idea, read_codex(idea).as_json())
    summaries = [c["summary"] for act in confirmed["PLOT_OUTLINE"]["acts"] for c in act["chapters"]]
    chinese = any("\u4e00" <= char <= "\u9fff" for char in idea)
    for index, summary in enumerate(summaries):
        words = list(summary) if chinese else summary.split()
        size = 12 if chinese else 7  # a clause's length: twelve characters, seven words
        for start in range(max(len(words) - size + 1, 0)):
            phrase = ("" if chinese else " ").join(words[start : start + size])
            again = [other for other in summaries[index + 1 :] if phrase in other]
            assert not again, (phrase, again)


@pytest.mark.parametrize(
    ("idea", "search"),
    [
        (REPAIR, "search"),
        (EMBROIDERY, "查"),
    ],
    ids=["en", "zh"],
)  # fmt: skip
async def test_no_concept_speaks_of_a_search_the_idea_has_none_of(idea: str, search: str) -> None:
    """The last walk (stop 85): a repair against a deadline was offered "the deeper the search
    goes, the closer it comes to what Bastien Vogl wants hidden" (a mystery's frame)."""
    asked = GenerationRequest(
        session_id=uuid4(),
        stage=GenesisStage.CONCEPT_SELECTION,
        user_input=idea,
        codex=read_codex(idea).as_json(),
    )
    concepts = (await OfflineGenerator().generate(asked)).model_dump()["concepts"]
    assert not any(search in concept["logline"] for concept in concepts), concepts


@pytest.mark.parametrize(
    ("idea", "rival"),
    [
        (REPAIR, "Bastien Vogl"),
        (EMBROIDERY, "周万金"),
    ],
    ids=["en", "zh"],
)  # fmt: skip
async def test_the_story_names_the_rival_the_writer_named(idea: str, rival: str) -> None:
    """The last walk (stop 85): the rival the idea named ("her rival, Bastien Vogl") was told
    in the concepts and the synopsis as "the authority that runs the Doge's palace", or by
    description alone (苏州城里的绣庄老板), never by name, until the cast."""
    confirmed = await _walk(idea, read_codex(idea).as_json())
    story = confirmed["STORY_CONCEPTION"]
    assert rival in confirmed["CONCEPT_SELECTION"]["logline"], confirmed["CONCEPT_SELECTION"]
    assert rival in story["synopsis"] and rival in story["conflicts"][0], story
    assert "authority that runs" not in json.dumps(story), story


async def test_the_synopsis_opens_with_a_capital() -> None:
    """The same walk: an idea that opens on its event ("A storm sinks ...") gave a synopsis
    opening "a storm sinks" (the premise's slot, lower case mid-sentence, first)."""
    idea = "A storm sinks the glass furnaces of Murano."
    synopsis = (await _walk(idea, read_codex(idea).as_json()))["STORY_CONCEPTION"]["synopsis"]
    assert synopsis[0].isupper(), synopsis


async def test_a_rename_of_the_rival_asked_in_free_text_moves_no_name_into_another_role() -> None:
    """The walk before stop 86: "The rival should be called Silas Pennock" at the cast (the
    codex naming Caleb Norrie the rival) renamed the ally "Silas Pennock" (the feedback's names
    were read beside the codex's): the rename is the codex's, offered to the writer, so no card
    takes the name."""
    idea = (
        "Wren Albury, a clockmaker's widow in Whitby, must rebuild the harbour clock before the "
        "Regatta Day; her rival, the shipwright Caleb Norrie from Hull, wants the old tower "
        "pulled down."
    )
    codex = read_codex(idea).as_json()
    confirmed = await _walk(idea, codex)
    stage = GenesisStage.CHARACTERS
    earlier = {key: value for key, value in confirmed.items() if key != stage.value}
    first = confirmed[stage.value]
    asked = GenerationRequest(
        session_id=uuid4(),
        stage=stage,
        confirmed_data=earlier,
        user_input=idea,
        codex=codex,
        feedback="The rival should be called Silas Pennock.",
        previous_proposal=first,
    )
    revised = (await OfflineGenerator().generate(asked)).model_dump()
    names = [card["name"] for card in revised["characters"]]
    assert "Silas Pennock" not in json.dumps(revised["characters"]), names
    roles = {card["role"]: card["name"] for card in revised["characters"]}
    assert roles["antagonist"] == "Caleb Norrie", roles  # the codex's, until the edit


WREN = (
    "Wren Albury, a clockmaker's widow in Whitby, must rebuild the harbour clock before the "
    "Regatta Day; her rival, the shipwright Caleb Norrie from Hull, wants the old tower pulled "
    "down."
)


async def test_a_person_a_feedback_adds_is_no_element_of_the_world() -> None:
    """The walk of stop 86: "Add a lamplighter named Percy Gale who saw the clock stop" made
    Percy Gale a thing of the story ("Surviving Percy Gale ... while the search goes on", a world
    rule "...: it shapes daily life"): the codex holds him as a person, so he is neither (the
    logline still tells him); the title keeps the apostrophe's small s ("The Clockmaker'S
    Widow" before)."""
    feedback = "Add a lamplighter named Percy Gale who saw the clock stop."
    codex = grown(read_codex(WREN).as_json(), {"Percy Gale": ("lamplighter",)}, "e1").as_json()
    confirmed = await _walk(WREN, codex)
    for stage in (GenesisStage.STORY_CONCEPTION, GenesisStage.WORLDVIEW):
        request = GenerationRequest(
            session_id=uuid4(), stage=stage, confirmed_data=confirmed, user_input=WREN,
            codex=codex, feedback=feedback,
        )  # fmt: skip
        said = json.dumps((await OfflineGenerator().generate(request)).model_dump(mode="json"))
        assert "Surviving Percy" not in said and "clock stop: it shapes" not in said
    titles = [c["title"] for c in confirmed.values() if isinstance(c, dict) and "title" in c]
    assert titles and not any("'S " in title for title in titles), titles
