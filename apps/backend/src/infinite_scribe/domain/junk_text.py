# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""What is not text where a text belongs (the guard's GUARD_JUNK_TEXT, domain/proposal_guard.py),
pure: only punctuation or digits, a template's marker, a fragment cut at both ends, a part's
placeholder, a model's own JSON left in a string, a label over more than one line.

JSON debris is told by kind, not by phrase (a walk with SmolLM2-135M: "[{ 'voice' : {", a
chapter's summary ending in "} },\\n          {"): structural characters where prose never puts
them. At either end of a text, a run of them (brackets, braces, quotes, commas, colons, spaces)
that nests a brace with another bracket ("[{", "} },"), closes what nothing opened (a "]" or a
"}" first) or opens what nothing closes (a "[" or a "{" last); anywhere, a quoted key, a colon,
then a value opening (`"voice": "`, `'voice' : {`). A single bracket or brace in prose passes
("[sic]", "{Ana, Bo} were the last", "(he said)", Chinese 【】 and 「」 are not ASCII), and so
does a quoted word before a colon and prose (`called it "home": a room`).
"""

import re

#: A template's marker, or its slot left in (`[hometown_landmark]`, `{place}`: SmolLM2); the
#: prompts' own words said back are domain/prompt_echoes.py's.
_MARKERS = re.compile(r"\{\{|\}\}|\$\{|<\||\[[a-z]+(?:_[a-z]+)+\]|\{[a-z]+(?:_[a-z]+)*\}")
#: A placeholder where a text belongs: a part's name and its number, nothing told ("beat one",
#: "Chapter 3.", 第二拍, 场景三).
_PLACEHOLDER = re.compile(
    r"(?:(?:beat|chapter|scene|part|act|step|option|item)\s+(?:\d+|one|two|three|four|five|six"
    r"|seven|eight|nine|ten|first|second|third)|第?[一二三四五六七八九十\d]+[拍章节幕场]"
    r"|(?:场景|章节|节拍)[一二三四五六七八九十\d]+)[.:：。]?",
    re.IGNORECASE,
)
#: A text that starts or ends mid-phrase ("...seven eyes 24-").
_FRAGMENT_START = re.compile(r"(?:\.{2,}|…|[,，、;；])")
_FRAGMENT_END = re.compile(r"(?:[-,，、;；]|\w-)$")
#: JSON's structural characters, and what stands between them in a model's reply.
_STRUCTURE = " \t\r\n\"',:[]{}"
#: A key of an object and its value opening: `"voice": "`, `'voice' : {`.
_KEY = re.compile(r"""["'][A-Za-z_][\w -]{0,39}["']\s*:\s*["'\[{]""")
#: The fields that are a label, one line (a title, a name, a tag): the last part of a path.
_ONE_LINE = frozenset({"title", "name", "role", "tone", "genre", "writing_style", "themes"})


def junk(text: str, path: str = "") -> str | None:
    """What makes `text` (stripped) not a text for the field at `path` ("acts[0].title"), or
    None: the text itself for most kinds, the debris alone for JSON left at an end (the
    writer and the model asked again read what is wrong, not the sentence before it)."""
    field = re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]
    if field in _ONE_LINE and len(text.splitlines()) > 1:
        return "↵".join(text.splitlines())
    if debris := _json_debris(text):
        return debris
    # A chapter may be titled by its number alone, as many novels' are.
    numbered = path.endswith("title")
    letters = any(char.isalpha() for char in text)
    fragment = _FRAGMENT_START.match(text[:3]) or _FRAGMENT_END.search(text[-2:])
    placeholder = not numbered and len(text) <= 16 and _PLACEHOLDER.fullmatch(text)
    if not letters or _MARKERS.search(text) or fragment or placeholder:
        return text
    return None


def _json_debris(text: str) -> str | None:
    """The JSON syntax in `text` that prose never writes (see the module's docstring)."""
    if key := _KEY.search(text):
        return key.group()
    # By strip, linear (a regex `[...]+$` tries again from every character of a long run).
    lead = text[: len(text) - len(text.lstrip(_STRUCTURE))]
    trail = text[len(text.rstrip(_STRUCTURE)) :]
    if _nested(lead) or any(char in "]}" for char in lead):
        return " ".join(lead.split())
    if _nested(trail) or any(char in "[{" for char in trail):
        return " ".join(trail.split())
    return None


def _nested(run: str) -> bool:
    """Whether a run of structure holds a brace and another bracket or brace ("[{", "} }")."""
    brackets = [char for char in run if char in "[]{}"]
    return len(brackets) >= 2 and any(char in "{}" for char in brackets)
