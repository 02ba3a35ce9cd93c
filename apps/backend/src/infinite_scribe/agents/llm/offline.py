"""The offline generator: deterministic placeholder proposals, no network, well under 1 ms.

It is the default provider so `make run` walks all five stages with nothing configured, and the
benchmark measures the pipeline rather than a model. The same request always gives the same
proposal (a seed from session, stage, idea and feedback); different feedback gives a different
draft. Its drafts use the writer's themes, styles, idea and earlier confirmed titles and names,
and say they are offline drafts (`source = offline_draft` and a note).
"""

import hashlib
import random
from collections.abc import Callable, Mapping
from typing import Any

from infinite_scribe.agents.llm.port import (
    OUTPUT_GENERATED,
    OUTPUT_VALIDATED,
    PROMPT_BUILT,
    GenerationRequest,
    ProgressCallback,
)
from infinite_scribe.domain.proposals import Proposal, ProposalSource, proposal_model
from shared_types.enums import GenesisStage

NOTE = "Offline draft: written by the built-in generator, not a language model."
_GENRES = ("science fiction", "mystery", "fantasy", "literary drama", "thriller", "historical")
_TONES = ("hopeful", "brooding", "wry", "tense", "lyrical")
_THEMES = ("memory", "identity", "loyalty", "freedom", "grief", "ambition", "trust")
_HEROES = ("a lighthouse keeper", "an archivist", "a courier", "a retired detective", "a twin")
_PLACES = ("a drowned city", "an orbital monastery", "a border town", "a city of endless snow")
_TURNS = (
    "finds a letter dated next year",
    "must hide a stolen memory",
    "inherits a debt no one can name",
    "hears the city's machines lie",
)
_NAMES = ("Lin Wei", "Mara Quell", "Oskar Venn", "Sora Hayes", "Idris Cole", "Yun Hee")
_ROLES = ("protagonist", "antagonist", "mentor", "ally")

Draft = dict[str, Any]


class OfflineGenerator:
    """LLMProvider that drafts proposals from word banks and the request's inputs."""

    name = "offline"

    async def generate(
        self, request: GenerationRequest, progress: ProgressCallback | None = None
    ) -> Proposal:
        """A valid proposal for `request.stage`, the same one every time for this request."""
        if progress is not None:
            await progress(*PROMPT_BUILT)
        rng = random.Random(_seed(request))
        draft = _BUILDERS[request.stage](request, rng)
        if progress is not None:
            await progress(*OUTPUT_GENERATED)
        note = NOTE if request.feedback is None else f"{NOTE} Revised for: {request.feedback}"
        draft |= {"source": ProposalSource.OFFLINE_DRAFT, "note": note[:1000]}
        proposal = proposal_model(request.stage).model_validate(draft)
        if progress is not None:
            await progress(*OUTPUT_VALIDATED)
        return proposal

    async def aclose(self) -> None:
        """Nothing to release."""


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


def _themes(request: GenerationRequest, rng: random.Random) -> list[str]:
    themes = [theme[:100] for theme in request.theme_preferences[:7]]
    return [*themes, rng.choice([t for t in _THEMES if t not in themes] or _THEMES)]


def _tone(request: GenerationRequest, rng: random.Random) -> str:
    return ", ".join(request.style_preferences)[:100] or rng.choice(_TONES)


def _confirmed(request: GenerationRequest, stage: GenesisStage) -> Mapping[str, Any]:
    value = request.confirmed_data.get(stage.value)
    return value if isinstance(value, Mapping) else {}


def _title(request: GenerationRequest) -> str:
    for stage in (GenesisStage.STORY_CONCEPTION, GenesisStage.CONCEPT_SELECTION):
        title = _confirmed(request, stage).get("title")
        if isinstance(title, str) and title.strip():
            return title.strip()[:200]
    return "Untitled novel"


def _concepts(request: GenerationRequest, rng: random.Random) -> Draft:
    idea = f" Built on the idea: {request.user_input[:300]}" if request.user_input else ""
    genres = list(request.theme_preferences) or rng.sample(_GENRES, 3)
    concepts = []
    for index, (hero, place) in enumerate(
        zip(rng.sample(_HEROES, 3), rng.sample(_PLACES, 3), strict=True)
    ):
        concepts.append(
            {
                "title": f"The {hero.split()[-1].title()} of the {place.split()[-1].title()}",
                "logline": f"In {place}, {hero} {rng.choice(_TURNS)}.{idea}",
                "themes": _themes(request, rng),
                "tone": _tone(request, rng),
                "genre": genres[index % len(genres)][:100],
            }
        )
    return {"concepts": concepts}


def _story(request: GenerationRequest, rng: random.Random) -> Draft:
    concept = _confirmed(request, GenesisStage.CONCEPT_SELECTION)
    logline = concept.get("logline")
    premise = logline if isinstance(logline, str) and logline.strip() else None
    hero, turn = rng.choice(_HEROES), rng.choice(_TURNS)
    return {
        "title": _title(request),
        "premise": (premise or f"{hero.capitalize()} {turn}.")[:1000],
        "synopsis": (
            f"{hero.capitalize()} {turn}. What begins as a private matter pulls in a city "
            "that would rather forget. Each answer costs a friendship, until the last one "
            "costs the hero's own certainty. In the end the truth is told, and paid for."
        ),
        "conflicts": [
            f"{hero.capitalize()} against the keepers of the secret",
            "Duty against love",
        ],
        "themes": _themes(request, rng),
    }


def _worldview(request: GenerationRequest, rng: random.Random) -> Draft:
    places = rng.sample(_PLACES, 3)
    return {
        "setting": f"The world of {_title(request)}: {places[0]}, in a {_tone(request, rng)} key.",
        "rules": ["Every promise is recorded and enforced", "Memories can be traded, never copied"],
        "locations": [
            {"name": p.title(), "description": f"Where {p} keeps its secrets."} for p in places
        ],
        "history": f"A century ago the founders of {places[0]} sealed a bargain no one remembers.",
    }


def _characters(request: GenerationRequest, rng: random.Random) -> Draft:
    names, themes = rng.sample(_NAMES, 4), _themes(request, rng)
    cast = [
        {
            "name": name,
            "role": role,
            "description": f"{name}, {rng.choice(_HEROES)} in {_title(request)}.",
            "motivation": f"Driven by {themes[index % len(themes)]}.",
            "arc": f"Learns what {themes[-1]} really costs.",
        }
        for index, (name, role) in enumerate(zip(names, _ROLES, strict=True))
    ]
    return {"characters": cast, "relationships": [f"{names[0]} owes {names[1]} a debt"]}


def _cast_names(request: GenerationRequest) -> list[str]:
    cast = _confirmed(request, GenesisStage.CHARACTERS).get("characters")
    if not isinstance(cast, list):
        return []
    return [c["name"] for c in cast if isinstance(c, Mapping) and isinstance(c.get("name"), str)]


def _plot(request: GenerationRequest, rng: random.Random) -> Draft:
    hero = (_cast_names(request) or [rng.choice(_NAMES)])[0][:200]
    acts = []
    for number, act in enumerate(("Setup", "Confrontation", "Resolution"), start=1):
        chapters = [
            {"title": f"Chapter {3 * number - 2 + i}", "summary": f"{hero} {rng.choice(_TURNS)}."}
            for i in range(3)
        ]
        acts.append(
            {
                "title": f"Act {number}: {act}",
                "summary": f"{act} of {_title(request)}.",
                "chapters": chapters,
            }
        )
    return {"acts": acts}


_BUILDERS: dict[GenesisStage, Callable[[GenerationRequest, random.Random], Draft]] = {
    GenesisStage.CONCEPT_SELECTION: _concepts,
    GenesisStage.STORY_CONCEPTION: _story,
    GenesisStage.WORLDVIEW: _worldview,
    GenesisStage.CHARACTERS: _characters,
    GenesisStage.PLOT_OUTLINE: _plot,
}
