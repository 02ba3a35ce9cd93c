"""Which language the writer writes in, so proposals come back in it.

Only Chinese is told apart (the language of the spec's writers, and the one the offline
generator has a word bank for); anything else is answered in the writer's own language by a
model, and in English by the offline generator.
"""

from collections.abc import Iterator
from typing import Any

from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.language import CHINESE, ENGLISH, language_of

#: Shown to a model: the language to answer in.
LANGUAGE_NAMES = {CHINESE: "Chinese (简体中文)", ENGLISH: "the language the writer uses"}


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)


def writer_language(request: GenerationRequest) -> str:
    """CHINESE when the writer's own words (idea, themes, styles, preferences, feedback) are
    Chinese, or, when they said nothing, what they confirmed is; else ENGLISH."""
    own = (
        request.user_input,
        request.theme_preferences,
        request.style_preferences,
        dict(request.preferences),
        request.feedback,
    )
    said = [text for text in _texts(list(own)) if text.strip()]
    sources = said or list(_texts(dict(request.confirmed_data)))
    return language_of(*sources)
