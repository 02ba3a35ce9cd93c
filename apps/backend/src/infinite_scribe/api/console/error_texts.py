"""The console's error page in the writer's language (issue 38): a headline by HTTP status and
what the error code means, as the writer can act on it (the words: `api/data/words.json`). The
server's own message (English, for developers and logs) stays on the page, folded away under
"details"."""

from dataclasses import dataclass

from infinite_scribe.api.words import WORDS


@dataclass(frozen=True)
class ErrorText:
    headline: str
    explanation: str
    details: str


def error_text(status: int, code: str, language: str) -> ErrorText:
    """What the error page says in `language` ("zh" or "en")."""
    index = 1 if language == "zh" else 0
    headline = WORDS.error_headlines.get(status, WORDS.error_headline_otherwise)[index]
    explanation = WORDS.error_explanations.get(code, WORDS.error_explanation_otherwise)[index]
    return ErrorText(headline, explanation, "详细信息" if index else "Details")
