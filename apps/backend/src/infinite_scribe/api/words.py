"""What the API says in the writer's two languages, kept as data (`data/words.json`): the
console's labels of event types, statuses and stored codes as (English, Chinese) pairs, its
screens' texts (English -> Chinese), the error page's headlines and explanations, a failed
generation's reasons, and a field's name (the console's and a book's headings). Loaded once
and validated, so a bad edit fails at import and in the unit tests, not on a writer's page."""

from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

#: (English, Chinese).
Pair = tuple[str, str]


class ConsoleWords(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    about: str = Field(alias="_about")
    events: dict[str, Pair]
    statuses: dict[str, Pair]
    #: field -> stored code -> its words ("source": "offline_draft").
    values: dict[str, dict[str, Pair]]
    #: English -> Chinese (`t(...)` in the templates: the English is the key, so a text
    #: without a translation shows in English).
    screens_in_chinese: dict[str, str]
    #: HTTP status -> headline; the one said for any other status.
    error_headlines: dict[int, Pair]
    error_headline_otherwise: Pair
    #: Error code -> what it means and what to do; the one said for any other code.
    error_explanations: dict[str, Pair]
    error_explanation_otherwise: Pair
    #: A failed generation's error code -> what went wrong (the writer's page, failures.py).
    failure_reasons: dict[str, Pair]
    failure_reason_otherwise: Pair
    #: A field's name (field_names.py): in Chinese, and in English where capitalizing its key
    #: is not how it is said.
    fields_in_chinese: dict[str, str]
    fields_in_english: dict[str, str]


def _load() -> ConsoleWords:
    text = resources.files(__package__ or "").joinpath("data", "words.json").read_text("utf-8")
    return ConsoleWords.model_validate_json(text)


WORDS = _load()
