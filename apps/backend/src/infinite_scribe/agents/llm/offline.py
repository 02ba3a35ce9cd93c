"""The offline generator: deterministic placeholder proposals, no network, well under 1 ms.

It is the default provider so `make run` walks all five stages with nothing configured, and the
benchmark measures the pipeline rather than a model. The same request always gives the same
proposal (a seed from session, stage, idea and feedback); different feedback gives a different
draft. Its drafts use the writer's themes, styles, idea and earlier confirmed titles and names,
are written in the writer's language (Chinese for Chinese input, else English), and say they
are offline drafts (`source = offline_draft` and a note).
"""

import hashlib
import random
from collections.abc import Callable, Mapping
from typing import Any

from infinite_scribe.agents.llm.language import CHINESE, writer_language
from infinite_scribe.agents.llm.offline_words import CHINESE as CHINESE_WORDS
from infinite_scribe.agents.llm.offline_words import ENGLISH, Words, hero_word, place_word
from infinite_scribe.agents.llm.port import (
    OUTPUT_GENERATED,
    OUTPUT_VALIDATED,
    PROMPT_BUILT,
    GenerationRequest,
    ProgressCallback,
)
from infinite_scribe.domain.proposals import Proposal, ProposalSource, proposal_model
from shared_types.enums import GenesisStage

NOTE = ENGLISH.note
NOTE_ZH = CHINESE_WORDS.note

Draft = dict[str, Any]


class OfflineGenerator:
    """LLMProvider that drafts proposals from word banks and the request's inputs."""

    name = "offline"
    #: What provenance names as the model and its "prompt" (the word banks' generation).
    model = "offline-generator"
    prompt_version = "offline-2901"

    async def generate(
        self, request: GenerationRequest, progress: ProgressCallback | None = None
    ) -> Proposal:
        """A valid proposal for `request.stage`, the same one every time for this request."""
        if progress is not None:
            await progress(*PROMPT_BUILT)
        words = CHINESE_WORDS if writer_language(request) == CHINESE else ENGLISH
        draft = _Drafter(request, words, random.Random(_seed(request))).draft()
        if progress is not None:
            await progress(*OUTPUT_GENERATED)
        note = words.note
        if request.feedback is not None:
            note = words.revised.format(note=words.note, feedback=request.feedback)
        draft |= {"source": ProposalSource.OFFLINE_DRAFT, "note": note[:1000]}
        proposal = proposal_model(request.stage).model_validate(draft)
        if progress is not None:
            await progress(*OUTPUT_VALIDATED)
        return proposal

    async def aclose(self) -> None:
        """Nothing to release."""


def _session_seed(request: GenerationRequest) -> int:
    """What stays the same across a session's stages (its hero when no concept names one)."""
    return int.from_bytes(hashlib.sha256(str(request.session_id).encode()).digest()[:8], "big")


def _clause(idea: str, limit: int = 160) -> str:
    """The idea's first sentence, trimmed, as a clause a sentence can carry."""
    text = " ".join(idea.split())
    for end in "。！？!?\n":  # noqa: RUF001 - Chinese sentence ends
        text = text.split(end, 1)[0]
    if ". " in text:
        text = text.split(". ", 1)[0]
    return text[:limit].rstrip(" .,;:，。；：、")  # noqa: RUF001


def _seed(request: GenerationRequest) -> int:
    key = "\x1f".join(
        (
            str(request.session_id),
            request.stage.value,
            request.user_input or "",
            request.feedback or "",
        )
    )
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


class _Drafter:
    """One draft: the request, the words of its language and a seeded random source."""

    def __init__(self, request: GenerationRequest, words: Words, rng: random.Random) -> None:
        self.request, self.words, self.rng = request, words, rng

    def draft(self) -> Draft:
        builders: dict[GenesisStage, Callable[[], Draft]] = {
            GenesisStage.CONCEPT_SELECTION: self.concepts,
            GenesisStage.STORY_CONCEPTION: self.story,
            GenesisStage.WORLDVIEW: self.worldview,
            GenesisStage.CHARACTERS: self.characters,
            GenesisStage.PLOT_OUTLINE: self.plot,
        }
        return builders[self.request.stage]()

    def themes(self) -> list[str]:
        themes = [theme[:100] for theme in self.request.theme_preferences[:7]]
        bank = self.words.themes
        return [*themes, self.rng.choice([t for t in bank if t not in themes] or bank)]

    def tone(self) -> str:
        mood = self.mood()
        if mood is not None:
            return mood
        styles = self.words.list_separator.join(self.request.style_preferences)
        return styles[:100] or self.rng.choice(self.words.tones)

    def mood(self) -> str | None:
        """The tone the writer's feedback asks for ("darker" -> brooding), if it names one."""
        feedback = (self.request.feedback or "").lower()
        for keys, tone in self.words.moods:
            if any(key in feedback for key in keys):
                return tone
        return None

    def revised(self, text: str) -> str:
        """`text` with what a revision changed said at its end (nothing for a first draft)."""
        mood = self.mood()
        if self.request.feedback is None or mood is None:
            return text
        separator = "" if self.words is CHINESE_WORDS else " "
        return text + separator + self.words.mood_line.format(tone=mood)

    def protagonist(self) -> str:
        """The hero of the concept the writer confirmed, else one chosen once per session:
        every stage tells of the same person."""
        logline = self.confirmed(GenesisStage.CONCEPT_SELECTION).get("logline")
        if isinstance(logline, str):
            for hero in self.words.heroes:
                if hero in logline or hero.removeprefix("a ").removeprefix("an ") in logline:
                    return hero
        return random.Random(_session_seed(self.request)).choice(self.words.heroes)

    def place(self) -> str:
        """The first confirmed location, else a place chosen once per session."""
        locations = self.confirmed(GenesisStage.WORLDVIEW).get("locations")
        if isinstance(locations, list) and locations and isinstance(locations[0], Mapping):
            name = locations[0].get("name")
            if isinstance(name, str) and name.strip():
                return name.strip()[:100]
        return random.Random(_session_seed(self.request) + 1).choice(self.words.places)

    def confirmed(self, stage: GenesisStage) -> Mapping[str, Any]:
        value = self.request.confirmed_data.get(stage.value)
        return value if isinstance(value, Mapping) else {}

    def title(self) -> str:
        for stage in (GenesisStage.STORY_CONCEPTION, GenesisStage.CONCEPT_SELECTION):
            title = self.confirmed(stage).get("title")
            if isinstance(title, str) and title.strip():
                return title.strip()[:200]
        return self.words.untitled

    def concepts(self) -> Draft:
        words, rng, request = self.words, self.rng, self.request
        idea = _clause(request.user_input or "")
        genres = list(request.theme_preferences) or rng.sample(words.genres, 3)
        concepts = []
        pairs = zip(rng.sample(words.heroes, 3), rng.sample(words.places, 3), strict=True)
        for index, (hero, place) in enumerate(pairs):
            title = words.concept_title.format(
                hero_word=hero_word(words, hero), place_word=place_word(words, place)
            )
            # The writer's idea is what happens to each hero, not a line after the pitch.
            logline = (
                words.idea_logline.format(place=place, hero=hero, idea=idea)
                if idea
                else words.logline.format(place=place, hero=hero, turn=rng.choice(words.turns))
            )
            concepts.append(
                {
                    "title": title[:200],
                    "logline": self.revised(logline)[:1000],
                    "themes": self.themes(),
                    "tone": self.tone(),
                    "genre": genres[index % len(genres)][:100],
                }
            )
        return {"concepts": concepts}

    def story(self) -> Draft:
        words, rng = self.words, self.rng
        logline = self.confirmed(GenesisStage.CONCEPT_SELECTION).get("logline")
        premise = logline if isinstance(logline, str) and logline.strip() else None
        hero, turn = self.protagonist(), rng.choice(words.turns)
        hero_cap = hero[:1].upper() + hero[1:]
        return {
            "title": self.title(),
            "premise": (premise or words.premise.format(hero=hero_cap, turn=turn))[:1000],
            "synopsis": self.revised(words.synopsis.format(hero=hero_cap, turn=turn)),
            "conflicts": [words.conflicts[0].format(hero=hero_cap), words.conflicts[1]],
            "themes": self.themes(),
        }

    def worldview(self) -> Draft:
        words = self.words
        places = self.rng.sample(words.places, 3)
        return {
            "setting": words.setting.format(title=self.title(), place=places[0], tone=self.tone()),
            "rules": list(words.rules),
            "locations": [
                {
                    "name": place_word(words, p).title(),
                    "description": words.location.format(place=p),
                }
                for p in places
            ],
            "history": words.history.format(place=places[0]),
        }

    def characters(self) -> Draft:
        words, rng = self.words, self.rng
        names, themes = rng.sample(words.names, 4), self.themes()
        others = [hero for hero in words.heroes if hero != self.protagonist()]
        heroes = [self.protagonist(), *rng.sample(others, 3)]  # the protagonist stays the hero
        cast = [
            {
                "name": name,
                "role": role,
                "description": self.revised(
                    words.character.format(name=name, hero=heroes[index], title=self.title())
                ),
                "motivation": words.motivation.format(theme=themes[index % len(themes)]),
                "arc": words.arcs[index].format(theme=themes[(index + 1) % len(themes)]),
            }
            for index, (name, role) in enumerate(zip(names, words.roles, strict=True))
        ]
        relationship = words.relationship.format(first=names[0], second=names[1])
        return {"characters": cast, "relationships": [relationship]}

    def cast_names(self) -> list[str]:
        cast = self.confirmed(GenesisStage.CHARACTERS).get("characters")
        if not isinstance(cast, list):
            return []
        return [
            c["name"] for c in cast if isinstance(c, Mapping) and isinstance(c.get("name"), str)
        ]

    def plot(self) -> Draft:
        words, rng = self.words, self.rng
        hero = (self.cast_names() or [rng.choice(words.names)])[0][:200]
        acts = []
        for number, act in enumerate(words.acts, start=1):
            chapters = [
                {
                    "title": words.chapter_title.format(number=3 * number - 2 + i),
                    # A beat of its own for every chapter: no two chapters alike.
                    "summary": words.beats[(3 * number - 3 + i) % len(words.beats)].format(
                        hero=hero, place=self.place(), turn=rng.choice(words.turns)
                    ),
                }
                for i in range(3)
            ]
            acts.append(
                {
                    "title": words.act_title.format(number=number, act=act),
                    "summary": words.act_summary.format(act=act, title=self.title()),
                    "chapters": chapters,
                }
            )
        return {"acts": acts}
