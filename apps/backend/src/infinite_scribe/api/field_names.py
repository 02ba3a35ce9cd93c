# ruff: noqa: RUF001, RUF002 - the path separator and Chinese punctuation on purpose
"""A field's name as a writer reads it, in English or Chinese: the console's labels and the
headings of a novel's Markdown and EPUB (a Chinese book's in Chinese, issue 55). The names are
data (`data/words.json`): a proposal's and a novel's field names (the stage models' keys,
domain/proposals.py, the novel's facts, the story memory's traits), said otherwise in English
than by capitalizing them or in Chinese."""

import re

from infinite_scribe.api.words import WORDS

ENGLISH, CHINESE = "en", "zh"


def english_label(key: str) -> str:
    return WORDS.fields_in_english.get(key) or key.replace("_", " ").capitalize()


def field_label(key: str, language: str = ENGLISH) -> str:
    """A field's name as the writer reads it ("core_conflict" -> "Core conflict"); unknown
    fields (a model may add its own) are shown in English words."""
    if language == CHINESE and key in WORDS.fields_in_chinese:
        return WORDS.fields_in_chinese[key]
    return english_label(key)


_INDEX = re.compile(r"\[(\d+)\]")


def path_label(path: str, language: str = ENGLISH) -> str:
    """A changed field's path as the writer reads it ("characters[0].motivation" ->
    "Characters 1 › Motivation", "角色 1 › 动机")."""
    parts = []
    for part in str(path).split(".")[:8]:
        key = _INDEX.sub("", part)
        numbers = " ".join(str(int(n) + 1) for n in _INDEX.findall(part))
        parts.append(" ".join(p for p in (field_label(key, language) if key else "", numbers) if p))
    return " › ".join(parts)


def trait_label(attribute: str, language: str = ENGLISH) -> str:
    """A trait's name ("eyes" -> "Eyes", "眼睛"; "relation:Mara" -> "Relation to Mara")."""
    kind, _, other = str(attribute).partition(":")
    if kind == "relation" and other:
        return f"与{other}的关系" if language == CHINESE else f"Relation to {other}"
    return field_label(kind, language)
