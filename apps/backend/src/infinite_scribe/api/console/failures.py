"""A generation that failed, as the writer's page shows it (issue 38): the reason in the
writer's language, and what they had typed, so the form comes back filled and "try again"
re-sends the same request. Read from the session's latest events: the failure is the latest
answer to a request, with nothing asked or confirmed after it. The reasons' words:
`api/data/words.json`."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infinite_scribe.api.words import WORDS
from infinite_scribe.domain.genesis import (
    CONCEPT_GENERATION_REQUESTED,
    FEEDBACK_SUBMITTED,
    GENERATION_CANCELLED,
    GENERATION_FAILED_EVENTS,
    PROPOSAL_EVENTS,
    STAGE_CONFIRMED,
    STAGE_GENERATION_REQUESTED,
)

#: How many of the session's latest events are read for it (a failure is followed by a few
#: bookkeeping events at most: the flow's pause).
RECENT_EVENTS = 12

_REQUESTS = frozenset(
    {CONCEPT_GENERATION_REQUESTED, STAGE_GENERATION_REQUESTED, FEEDBACK_SUBMITTED}
)
#: Events after which an earlier failure no longer matters (answered, asked again, moved on).
_SETTLING = _REQUESTS | PROPOSAL_EVENTS | {STAGE_CONFIRMED}

#: The writer stopped it (CancelGeneration, decision 4003): the form comes back the same way.
CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class Failure:
    code: str
    #: "request" (a proposal was asked for) or "feedback" (a revision was).
    kind: str
    #: What the writer had typed, by form field: themes, styles, text / feedback.
    fields: Mapping[str, str] = field(default_factory=dict)

    def reason(self, language: str) -> str:
        return reason(self.code, language)

    @property
    def stopped(self) -> bool:
        """The writer stopped it (not a failure: the panel says so)."""
        return self.code == CANCELLED


def reason(code: str | None, language: str) -> str:
    """What an error code means to the writer, in their language."""
    english, chinese = WORDS.failure_reasons.get(code or "", WORDS.failure_reason_otherwise)
    return chinese if language == "zh" else english


def last_failure(events: Iterable[Mapping[str, Any]]) -> Failure | None:
    """The failure the writer has not moved past, from events oldest first (None: there is
    none, or something was asked, proposed or confirmed after it)."""
    failure: Mapping[str, Any] | None = None
    request: Mapping[str, Any] | None = None
    for event in events:
        kind = event["event_type"]
        if kind in GENERATION_FAILED_EVENTS:
            failure = event["payload"] or {}
        elif kind == GENERATION_CANCELLED:
            failure = {"error_code": CANCELLED}
        elif kind in _SETTLING:
            failure = None
            if kind in _REQUESTS:
                request = event
    if failure is None:
        return None
    code = str(failure.get("error_code") or "GENERATION_FAILED")
    if request is None:
        return Failure(code, "request")
    payload = request["payload"] or {}
    if request["event_type"] == FEEDBACK_SUBMITTED:
        return Failure(code, "feedback", {"feedback": str(payload.get("feedback", ""))})
    return Failure(code, "request", _typed(payload))


def _typed(payload: Mapping[str, Any]) -> dict[str, str]:
    """The request form's fields back from a request event's payload."""
    preferences = payload.get("preferences") or {}
    themes = payload.get("theme_preferences", preferences.get("themes")) or []
    styles = payload.get("style_preferences", preferences.get("styles")) or []
    text = payload.get("user_input", preferences.get("notes")) or ""
    return {
        "themes": ", ".join(map(str, themes)),
        "styles": ", ".join(map(str, styles)),
        "text": str(text),
    }
