"""The person an English idea sets its hero against with no word such as "rival" (issue 76):
the one a verb of opposing takes ("hunted by the one-eyed Cossack Grigori Orlov", "must outwit
the inquisitor, Brother Esteban Molina", "the man she must stop is her old mentor, Inspector
Callum Reid", "the trail leads to the oilman Harlan Briggs"), or who is said to be doing it
("a stranger called Owen Pike has been following her family"). Between the verb and the name
only what describes the person: no verb, no function word ("must stop the flood before Ada
Pike drowns" opposes no one)."""

import re
from functools import partial

from infinite_scribe.text import vocabulary

_OPPOSES = vocabulary.alternation("en", "opposes", spaced=True)
_any = partial(vocabulary.either, "en", spaced=True)  # a list as a group, a space any space

_BEFORE = re.compile(
    rf"\b(?:{_OPPOSES})\b(?:\s+{_any('copulas')})?\s+(?P<described>[^.;:!?]{{0,40}}?)$", re.I
)
_AFTER = re.compile(rf"^\s+{_any('progressive_leads')}\s+{_any('opposes_after')}\b")
#: Who wants the hero harmed ("the inspector Duarte Sousa wants her arrested"): the clause's
#: subject, whatever verb of wanting, a pronoun for the hero and a participle of harm.
_WANTS_HARM = re.compile(
    rf"^\s+{_any('wants')}\s+(?:her|him|them|it)\s+{_any('wanted_done')}\b", re.I
)  # "wants it erased": what the hero found
#: Who buries or hides what the hero seeks in a clause of their own ("before the mob boss
#: ... buries the truth", "before the Gestapo officer ... tightens the net"): the words between
#: the clause's opening and the name describe them.
_CLAUSE = re.compile(
    rf"\b{_any('clause_openers')}\s+(?:the\s+)?"
    # One capitalised word, or a body's name and its possessive ("the Water Authority's").
    r"(?P<described>(?:(?:[A-Z][a-z-]*\s+){0,2}[A-Z][a-z-]*(?:'s|\u2019s)\s+|[A-Z][a-z-]*\s+)?"
    r"(?:"
    # A role in apposition: "while the colony director, Irena Sokolova, hides".
    rf"(?:[a-z-]+\s+){{0,3}}|(?:[a-z-]+\s+){{0,2}}{_any('roles')},\s+))$"
)
#: Who laid or cast the curse the hero must break ("the curse that the witch Morgause laid").
_CURSE = re.compile(
    rf"\b(?:{vocabulary.alternation('en', 'curses')})\s+(?:that\s+|which\s+)?(?:the\s+|a\s+|an\s+)?"
    r"(?P<described>(?:[a-z-]+\s+){0,3})$"
)
_CASTS = re.compile(rf"^\s+(?:{vocabulary.alternation('en', 'casts')})\b")
_THWARTS = re.compile(rf"^,?\s+(?:{vocabulary.alternation('en', 'thwarts')})\b")
#: Words never in what describes a person ("the man who ...", "by a"): verbs, function words.
NOT_DESCRIBING = vocabulary.words(
    "en", "stop", "verbs", "prepositions", "place_prepositions", "joining_words"
)
_CALLED = re.compile(
    rf"\b{_any('articles')}\s+((?:[a-z-]+\s+){{0,2}}?[a-z-]+)\s+(?:named|called)\s+$"
)
_TITLES = vocabulary.words("en", "titles")
_ARTICLES = tuple(f"{article} " for article in vocabulary.phrases("en", "described_articles"))


def opposed(before: str, after: str) -> bool:
    """Whether the person between `before` and `after` is the one the hero is set against."""
    after_name = _AFTER.match(after) or _WANTS_HARM.match(after)
    return bool(_described(before) is not None or after_name or _thwarts(before, after))


def _thwarts(before: str, after: str) -> re.Match[str] | None:
    if _CURSE.search(before) and _CASTS.match(after):
        return _CASTS.match(after)
    clause = _CLAUSE.search(before)
    words = set(clause.group("described").split()) if clause else {"and"}
    return None if words & NOT_DESCRIBING else _THWARTS.match(after)


def described(before: str) -> str | None:
    """What describes the person an opposing verb takes, without its article and the title
    after a comma ("the inquisitor, Brother ": "inquisitor"), if any."""
    called = _CALLED.search(before)  # "a stranger called Owen Pike": "stranger"
    # "before the mob boss ...": "mob boss"
    clause = _CLAUSE.search(before) or _CURSE.search(before)
    said = _described(before) or (called.group(1) if called else "")
    said = (said or (clause.group("described") if clause else "")).split(",")[0].strip()
    for article in _ARTICLES:
        said = said.removeprefix(article)
    said = " ".join(w for w in said.split() if w.lower() not in _TITLES)  # "Lady ": none
    return said or None


def _described(before: str) -> str | None:
    match = _BEFORE.search(before)
    if match is None:
        return None
    said = match.group("described")
    words = {word.strip(",").lower() for word in said.split()}
    return None if words & NOT_DESCRIBING else said
