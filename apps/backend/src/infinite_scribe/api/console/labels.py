"""What the console calls things, in the writer's language (issue 29): the writer's screens'
texts, event types as people say them, and the language itself, followed from the browser's
`Accept-Language` (Chinese when it ranks a `zh` tag above any `en` tag, else English) unless
the writer chose one with the page's switch (`?lang=`, then kept in a cookie: issue 38). The
operator's screens stay in English. The words themselves are data (`api/data/words.json`, read
by `api/words.py`)."""

from fastapi import Request

from infinite_scribe.api.field_names import CHINESE, ENGLISH
from infinite_scribe.api.words import WORDS, Pair

LANGUAGES = (ENGLISH, CHINESE)
#: The language the writer chose with the page's switch (set by `?lang=`).
LANGUAGE_COOKIE = "scribe_lang"

#: The flow's bookkeeping (issue 38): true, but nothing the writer did or has to act on, so
#: the writer's timeline leaves them out (the operator's event chain shows them).
BOOKKEEPING_EVENTS = frozenset({"Genesis.Session.FlowPaused", "Genesis.Session.FlowResumed"})


def translate(text: str, language: str = ENGLISH) -> str:
    """`text` in `language` (the English itself when there is no translation)."""
    return WORDS.screens_in_chinese.get(text, text) if language == CHINESE else text


def language_of(request: Request) -> str:
    """The writer's choice (the page's switch now, `?lang=`, else the one it kept), else `zh`
    when the browser's Accept-Language names Chinese before English, else `en`."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if chosen in LANGUAGES:
            return chosen
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(request.headers.get("accept-language", "")[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, index, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        if tag.startswith("zh"):
            return CHINESE
        if tag.startswith("en"):
            return ENGLISH
    return ENGLISH


def _in_language(labels: Pair | None, code: str, language: str) -> str:
    """`labels` (English, Chinese) in `language`; `code` as it is where none is known."""
    if labels is None:
        return code
    return labels[1] if language == CHINESE else labels[0]


def event_label(event_type: str, language: str = ENGLISH) -> str:
    return _in_language(WORDS.events.get(event_type), event_type, language)


def value_label(key: str, value: str, language: str = ENGLISH) -> str:
    """A field's value in words when it is a known code ("offline_draft"), else as it is."""
    return _in_language(WORDS.values.get(key, {}).get(value), value, language)


def status_label(status: str, language: str = ENGLISH) -> str:
    return _in_language(WORDS.statuses.get(status), status, language)
