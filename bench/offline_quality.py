# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""How faithful the offline writer is to the writer's words (issue 69), over the ideas of
apps/backend/tests/data/offline_ideas.json: each idea walked through the five Genesis stages
(each first proposal confirmed), a 30-chapter outline and its chapters drafted.

Printed per language and in total:
- kept: the share of (named item, place where it belongs) pairs found verbatim: every name,
  place, time and object of the idea in each stage's content and in the first three chapters;
- invented: cast names the writer did not give standing where a name they gave is missing
  (a named rival replaced by a bank name), or sharing a word with one of theirs ("Ada Voss");
- rival_missed: ideas whose named rival (the one a word marks: "nemesis", 宿敌) is not the
  antagonist's card, under that name (no title in it);
- fragments: locations, names and titles that are neither the writer's words (verbatim, with
  no verb in them) nor the fixed stock's site names;
- repeats: sentences said twice in a chapter, paragraphs in two chapters, lines of dialogue
  in two chapters, worldview rules pasted as narration (in the 30 chapters), and the passages
  of 50+ characters the continuity check would report (domain/passages.py: in a chapter, and
  with each of the three chapters before it);
- untrue notes: revisions whose note does not match the diff (a villain rename the text does
  not show everywhere, a changed tone/theme/other field the note does not name), and themes
  chosen at the concept lost at the story stage without being asked;
- wishes: plot wishes (death, return, fight, chase, ...) written as a scene with the named
  characters (a death read as a death by the continuity reader) rather than reported unread.

Usage: .venv/bin/python bench/offline_quality.py   (prints one JSON line at the end)
"""

import json
import re
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from infinite_scribe.agents.llm.offline.chapters import open_notes, plan_beats, write_beat
from infinite_scribe.agents.llm.offline.generator import batch_chapters, draft
from infinite_scribe.agents.llm.offline.words import CHINESE as ZH_WORDS, ENGLISH as EN_WORDS
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.chapter_brief import ChapterBrief, chapter_outline
from infinite_scribe.domain.genesis import STAGE_ORDER
from infinite_scribe.domain.novel import novel_bible
from infinite_scribe.domain.outline_plan import Batch
from infinite_scribe.domain.passages import shared
from infinite_scribe.domain.proposals import PROPOSAL_META
from infinite_scribe.text import segment
from infinite_scribe.text.codex_reading import offered_edits, read_codex
from infinite_scribe.text.reader import Known, read_chapter
from shared_types.enums import GenesisStage

CORPUS = Path(__file__).parents[1] / "apps/backend/tests/data/offline_ideas.json"
CHAPTERS = 30
KEPT_CHAPTERS = 3
_EN_VERBS = re.compile(
    r"\b(?:is|are|was|were|has|have|had|must|keeps?|carr(?:y|ies)|finds?|hides?|discovers?|"
    r"wants?|sets?|opens?|calls?|comes?|takes?|burns?|hunts?|closes?|receives?|runs?|stops?|"
    r"knows?|looks?|says?|goes|meets?|tells?|holds?)\b",
    re.I,
)
_ZH_VERBS = re.compile(r"指向|掌管|发现|追查|必须|守着|等|找到|想把|要抢|说是|走进|收留|不许|丢了")
_SENTENCE = re.compile(r"[^。！？!?.]+(?:[。！？!?.]+[”」\"]?|$)")
_QUOTE = re.compile(r"[“「\"]([^”」\"]{4,})[”」\"]")
ROLE_STAGES = (
    GenesisStage.CONCEPT_SELECTION,
    GenesisStage.STORY_CONCEPTION,
    GenesisStage.WORLDVIEW,
    GenesisStage.CHARACTERS,
    GenesisStage.PLOT_OUTLINE,
)


def _content(proposal: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = proposal.model_dump(mode="json")
    return {key: value for key, value in dumped.items() if key not in PROPOSAL_META}


def _words(language: str) -> Any:
    return ZH_WORDS if language == "zh" else EN_WORDS


def genesis(idea: dict[str, Any], session: uuid.UUID) -> tuple[dict[str, Any], dict[str, Any]]:
    """(confirmed data, the proposals as drafted) of a writer who confirms every first one,
    each request with the codex read from the idea, as the worker gives it (issue 76)."""
    confirmed: dict[str, Any] = {}
    drafted: dict[str, Any] = {}
    codex = read_codex(idea["text"]).as_json()
    for stage in STAGE_ORDER:
        if stage is GenesisStage.FINISHED:
            continue
        request = GenerationRequest(
            session, stage, dict(confirmed), user_input=idea["text"], codex=codex
        )
        content = _content(draft(request, _words(idea["language"])))
        drafted[stage.value] = content
        if stage is GenesisStage.CONCEPT_SELECTION:
            content = content["concepts"][0]
        confirmed[stage.value] = content
    return confirmed, drafted


def book(idea: dict[str, Any], session: uuid.UUID, confirmed: dict[str, Any]) -> list[str]:
    """The first CHAPTERS chapters: the plot stage's outline, then outline batches."""
    codex = read_codex(idea["text"]).as_json()
    request = GenerationRequest(
        session, GenesisStage.PLOT_OUTLINE, dict(confirmed), user_input=idea["text"], codex=codex
    )
    entries = [{"title": t, "summary": s} for _, t, s in chapter_outline(confirmed["PLOT_OUTLINE"])]
    first = len(entries) + 1
    more = batch_chapters(request, _words(idea["language"]), Batch(2, first, CHAPTERS - first + 1))
    outline = {"chapters": [*entries, *more][:CHAPTERS]}
    bible = novel_bible(confirmed | {"PLOT_OUTLINE": outline})
    chapters = chapter_outline(bible.outline)
    texts = []
    for number, title, summary in chapters:
        brief = ChapterBrief(
            session, number, title, summary, idea["language"], bible,
            earlier=tuple(chapters[max(number - 6, 0) : number - 1]),
        )  # fmt: skip
        texts.append(chapter_text(brief))
    return texts


def chapter_text(brief: ChapterBrief) -> str:
    beats = plan_beats(brief)
    return "\n\n".join(write_beat(brief, beats, index) for index in range(len(beats)))


def items(idea: dict[str, Any]) -> list[str]:
    return [*idea["names"], *idea["places"], *idea["times"], *idea["objects"]]


def kept(idea: dict[str, Any], drafted: dict[str, Any], chapters: list[str]) -> tuple[int, int]:
    found = total = 0
    texts = [json.dumps(drafted[stage.value], ensure_ascii=False) for stage in ROLE_STAGES]
    texts.append("\n".join(chapters[:KEPT_CHAPTERS]))
    for text in texts:
        for item in items(idea):
            total += 1
            found += item in text
    return found, total


def invented(idea: dict[str, Any], confirmed: dict[str, Any]) -> int:
    cast = [c["name"] for c in confirmed["CHARACTERS"]["characters"]]
    given = idea["names"]
    missing = [name for name in given if name not in cast]
    strangers = [name for name in cast if name not in given]
    lookalike = [
        name
        for name in strangers
        if any(set(name.split()) & set(g.split()) for g in given if " " in g)
        or any(name[:1] == g[:1] and len(name) == len(g) and name[1:2] == g[1:2] for g in given)
    ]
    return min(len(missing), len(strangers)) + len(lookalike)


def _from_stock(name: str, language: str) -> bool:
    for pattern, _ in _words(language).sites:
        regex = re.escape(pattern).replace(r"\{place\}", ".+").replace(r"\{Place\}", ".+")
        if re.fullmatch(regex, name, re.I):
            return True
    titles = [
        re.escape(t)
        .replace(r"\{Place\}", ".+")
        .replace(r"\{place\}", ".+")
        .replace(r"\{Hero\}", ".+")
        .replace(r"\{hero\}", ".+")
        .replace(r"\{Name\}", ".+")
        .replace(r"\{name\}", ".+")
        for by in _words(language).concept_titles
        for t in by
    ]
    if any(re.fullmatch(t, name) for t in titles):
        return True
    return name in (_words(language).nowhere, _words(language).untitled)


def fragment(name: str, idea: dict[str, Any]) -> bool:
    """Whether `name` (a location, a character's name, a title) is made of a cut sentence."""
    language, text = idea["language"], idea["text"]
    if name in items(idea) or _from_stock(name, language):
        return False
    bare = re.sub(r"^(?:the|a|an)\s+", "", name, flags=re.I)
    verbs = _ZH_VERBS if language == "zh" else _EN_VERBS
    people = [n for n in idea["names"] if n != name and n in name]
    return (
        bool(verbs.search(bare))
        or bool(people)
        or (language == "en" and bare.lower() not in text.lower() and bare[:1].islower())
    )


def fragments(idea: dict[str, Any], confirmed: dict[str, Any], drafted: dict[str, Any]) -> int:
    names = [loc["name"] for loc in confirmed["WORLDVIEW"]["locations"]]
    names += [c["name"] for c in confirmed["CHARACTERS"]["characters"]]
    names += [c["title"] for c in drafted["CONCEPT_SELECTION"]["concepts"]]
    return sum(fragment(name, idea) for name in names)


def repeats(chapters: list[str], rules: list[str]) -> dict[str, int]:
    twice = 0
    paragraphs: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    pasted = 0
    for text in chapters:
        said = Counter(s.strip() for s in _SENTENCE.findall(text) if len(s.strip()) > 6)
        twice += sum(n - 1 for n in said.values() if n > 1)
        paragraphs.update({p.strip() for p in text.split("\n\n") if p.strip()})
        lines.update(set(_QUOTE.findall(text)))
        pasted += sum(1 for rule in rules if rule.rstrip("。.") in text)
    passages = 0
    for number, text in enumerate(chapters):
        passages += len(shared(text, text, True))
        passages += sum(len(shared(text, other)) for other in chapters[max(number - 3, 0) : number])
    return {
        "continuity_passages": passages,
        "sentence_twice_in_chapter": twice,
        "paragraph_in_two_chapters": sum(n - 1 for n in paragraphs.values() if n > 1),
        "dialogue_in_two_chapters": sum(n - 1 for n in lines.values() if n > 1),
        "rule_as_narration": pasted,
    }


RENAME = {"zh": "把反派改成巡捕房的副探长顾远山", "en": "Rename the villain to Marcus Vale"}
NEW_VILLAIN = {"zh": "顾远山", "en": "Marcus Vale"}
DARKER = {"zh": "语气更黑暗一些", "en": "Make it darker"}
HERO = {"zh": "主角改成一名年迈的飞船机械师", "en": "Make the hero a blind pianist"}


def _revise(
    idea: dict[str, Any], session: uuid.UUID, confirmed: dict[str, Any], stage: GenesisStage,
    feedback: str, before: dict[str, Any],
) -> tuple[dict[str, Any], str]:  # fmt: skip
    earlier = {k: v for k, v in confirmed.items() if STAGE_ORDER.index(GenesisStage(k)) <
               STAGE_ORDER.index(stage)}  # fmt: skip
    codex = read_codex(idea["text"])  # and the edits the feedback offers, as the worker does
    request = GenerationRequest(
        session, stage, earlier, user_input=idea["text"], feedback=feedback,
        previous_proposal=before, codex=codex.as_json(),
        offered_edits=offered_edits(feedback, codex),
    )  # fmt: skip
    proposal = draft(request, _words(idea["language"]))
    return _content(proposal), proposal.revision_note or ""  # type: ignore[attr-defined]


def untrue(
    idea: dict[str, Any], session: uuid.UUID, confirmed: dict[str, Any], drafted: dict[str, Any]
) -> dict[str, int]:
    language = idea["language"]
    out = {"villain_rename": 0, "tone_revision": 0, "hero_revision": 0, "theme_drift": 0}
    before = drafted["CHARACTERS"]
    after, note = _revise(idea, session, confirmed, GenesisStage.CHARACTERS, RENAME[language],
                          before)  # fmt: skip
    old = before["characters"][1]["name"]
    said_done = NEW_VILLAIN[language] in note and not _says_not_done(note, language)
    shown = old not in json.dumps(after, ensure_ascii=False)
    shown = shown and after["characters"][1]["name"] == NEW_VILLAIN[language]
    out["villain_rename"] = int(said_done != shown)
    before = drafted["CONCEPT_SELECTION"]
    after, note = _revise(idea, session, confirmed, GenesisStage.CONCEPT_SELECTION,
                          DARKER[language], before)  # fmt: skip
    for old_c, new_c in zip(before["concepts"], after["concepts"], strict=False):
        changed = {k for k in old_c if old_c[k] != new_c.get(k)} - {"tone"}
        out["tone_revision"] += int(bool(changed))
    before = drafted["STORY_CONCEPTION"]
    after, note = _revise(idea, session, confirmed, GenesisStage.STORY_CONCEPTION,
                          HERO[language], before)  # fmt: skip
    out["hero_revision"] = int(after.get("themes") != before.get("themes")
                               or after.get("title") != before.get("title"))  # fmt: skip
    chosen = confirmed["CONCEPT_SELECTION"].get("themes") or []
    out["theme_drift"] = int(not set(chosen) <= set(confirmed["STORY_CONCEPTION"]["themes"]))
    return out


def _says_not_done(note: str, language: str) -> bool:
    """Whether the note says the rename not made: not shown, or offered for the writer to
    confirm (a rename by name is the codex's, decision 8006)."""
    if language == "zh":
        return "未能" in note or "没有" in note or "等你确认" in note
    return "not" in note.lower() or "offered" in note.lower()


def wishes(ideas: list[dict[str, Any]], wished: list[dict[str, Any]]) -> dict[str, Any]:
    written, failed = 0, []
    for wish in wished:
        idea = ideas[wish["idea"]]
        session = uuid.UUID(int=wish["idea"] + 69)
        confirmed, _ = genesis(idea, session)
        bible = novel_bible(confirmed)
        number, title, summary = chapter_outline(bible.outline)[1]
        brief = ChapterBrief(
            session, number, title, summary, idea["language"], bible, wishes=wish["text"]
        )
        text = chapter_text(brief)
        ok = not open_notes(brief) and all(name in text for name in wish["who"])
        if ok and wish["kind"] == "death":
            cast = {c["name"]: c["name"] for c in bible.characters["characters"]}
            facts = read_chapter(idea["language"], text, Known(cast))["facts"]
            ok = any(
                f["kind"] == "status" and f["value"] == "dead" and f["who"] in wish["who"]
                for f in facts
            )
        written += ok
        if not ok:
            failed.append(wish["text"])
    return {"written": written, "of": len(wished), "failed": failed}


def measure() -> dict[str, Any]:
    corpus = json.loads(CORPUS.read_text("utf-8"))
    ideas = corpus["ideas"]
    totals: dict[str, Counter[str]] = {"zh": Counter(), "en": Counter()}
    for index, idea in enumerate(ideas):
        session = uuid.UUID(int=index + 69)
        confirmed, drafted = genesis(idea, session)
        chapters = book(idea, session, confirmed)
        figures = totals[idea["language"]]
        found, total = kept(idea, drafted, chapters)
        figures["kept"] += found
        figures["items"] += total
        figures["invented"] += invented(idea, confirmed)
        antagonist = confirmed["CHARACTERS"]["characters"][1]["name"]
        figures["rival_missed"] += int("rival" in idea and antagonist != idea["rival"])
        figures["fragments"] += fragments(idea, confirmed, drafted)
        figures.update(repeats(chapters, confirmed["WORLDVIEW"]["rules"]))
        figures.update(untrue(idea, session, confirmed, drafted))
    report: dict[str, Any] = {}
    for language, figures in totals.items():
        report[language] = dict(figures) | {
            "kept_share": round(figures["kept"] / max(figures["items"], 1), 3)
        }
    report["wishes"] = wishes(ideas, corpus["wishes"])
    return report


def main() -> None:
    segment.warm()
    report = measure()
    for key, value in report.items():
        print(key, json.dumps(value, ensure_ascii=False), flush=True)
    json.dump(report, sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
