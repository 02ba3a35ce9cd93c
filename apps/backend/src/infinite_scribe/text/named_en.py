"""What an English text names, run by run (issue 69): what a capitalised run is (a place by
the words around it, a name after a title, a person's epithet), and the things (the noun
phrase a verb takes, "buys an ivory compass"). `named` walks a text with these."""

import re
from functools import partial

from infinite_scribe.text import vocabulary

_words = partial(vocabulary.alternation, "en")  # a lexicon's list as an alternation
_ARTICLES, _ARTICLE = vocabulary.words("en", "articles"), vocabulary.either("en", "articles")

_PLACE_WORDS = vocabulary.words("en", "place_nouns", "name_places")
_AFTER_PLACE = re.compile(
    rf"\b(?:{_words('place_prepositions')})\s+(?:(?P<year>\d{{3,4}}s?)\s+|the\s+)?$", re.I
)
#: A name directly before its verb after the opening's year is the subject ("In 1911 Aoife
#: Rooney keeps"), never the place ("In 1911 Valparaíso, ...").
_VERB_AFTER = re.compile(rf"^\s+(?:{_words('verbs')})\b")
_OPENERS = vocabulary.words("en", "run_openers")
#: A word for a person by its ending ("the Harbourmaster", "the Lockkeeper").
_EPITHET_ENDS = tuple(vocabulary.words("en", "epithet_ends"))
#: "bring in Tom Baxter", "carried off Bridget Ahern": the preposition is the verb's particle,
#: and no place follows it.
_PARTICLE = re.compile(rf"\b(?:{_words('particle_verbs')})\s+(?:in|off)\s+$", re.I)
#: A name right after a place noun is that place's ("aboard the generation ship Providence").
_AFTER_PLACE_NOUN = re.compile(rf"\b{_ARTICLE}\s+(?:[a-z-]+\s+)?(?:{_words('place_nouns')})\s+$")
_APPOSED_PLACE = re.compile(
    rf"^,\s+{_ARTICLE}\s+(?:(?!of\b)[a-z-]+\s+){{0,3}}(?:{'|'.join(_PLACE_WORDS)})(?=[,.;]|$)"
)
#: A place said with what it has become ("In plague-stricken London", "in a drowned Venice"):
#: one word after "in" and a word with a hyphen or in -ed (a person is seldom so introduced).
_IN_DESCRIBED = re.compile(
    rf"\b(?:in|across|throughout)\s+(?:{_ARTICLE}\s+)?[a-z]+(?:-[a-z]+|ed)\s+$", re.I
)
#: A first name joined to a full name ("Maya and Leila Haddad"): the two share the surname.
_AND_FULL_NAME = re.compile(
    r"^\s+and\s+[A-Z][\w'\u2019-]+\s+(?P<surname>[A-Z][\w'\u2019-]+)\b(?!\s+[A-Z])"
)
#: A kin word opening the sentence after a possessive or a word ("Miner's daughter", "Twin
#: brothers Kwame and Kofi Mensah"): no kin of the hero.
OPENING_KIN = re.compile(
    r"(?:^|[.!?;]\s+)(?:[A-Z][a-z-]*(?:'s|\u2019s)\s+[a-z-]+|[A-Z][a-z]*\s+[a-z]+s)\s+"
    r"(?:[A-Z][\w'\u2019-]*\s+and\s+)?$"
)
#: An idea that opens with its setting alone, a place and a year ("Oslo, 1944:", "Nairobi,
#: 2031."): the place is the run before the year.
SETTING = re.compile(
    r"^(?P<where>[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*){0,3}),\s*"
    r"(?P<when>\d{3,4}s?)\s*[.:;\u2014\u2013]\s*"
)
#: A title before a name (a role or a kin word too: "Brother Esteban Molina").
_TITLES = vocabulary.words("en", "titles", "roles", "kin")
#: A word a person is named by alone, after "the" ("the Warden"); before a name, part of it.
_EPITHETS = _TITLES | vocabulary.words("en", "epithet_titles")
_NAME_ADJECTIVES = vocabulary.words("en", "name_adjectives")  # "Old Tom": no first name
_NAME_TITLES = vocabulary.words("en", "titles")  # "Lord Varic": a person
#: A thing: the noun phrase a verb takes (a word in -s or -ed that is no preposition or
#: pronoun, or one the lexicon lists), never said of the draft itself ("it needs ...").
_THING = re.compile(
    r"(?<![Ii]t )(?<![Tt]his )(?<![Tt]hat )(?<![Tt]here )"
    rf"\b(?!(?:{_words('not_thing_verbs')})\b)(?:{_words('thing_verbs')}|[a-z]{{2,}}(?:s|ed))\s+"
    rf"({_ARTICLE}\s+|(?:{_words('personal_possessives')})\s+(?:own\s+)?)((?:[a-z][a-z-]*\s+){{0,2}}?[a-z][a-z-]*?)"
    rf"(?=\s+(?:{_words('thing_follows')})\b|[,.;]|$)"
)
#: No thing: a complement ("wants the gate shut"), a person, a place, a title, an abstract
#: ("takes the blame": no thing one holds), kin ("has threatened his sister").
_NOT_THINGS = _PLACE_WORDS | vocabulary.words(
    "en", "roles", "complements", "titles", "abstracts", "kin"
)
_BEFORE_THING = re.compile(
    rf"\b(?:{_words('thing_times')})\s+(the\s+)([a-z]+(?:\s+[a-z]+)?)\s+[a-z]+s\b(?<!ss)"
)


def titled(words: list[str]) -> tuple[list[str], list[str]]:
    """A run's title and its name, without the words that open it ("In", "Captain Hollis
    Wren": the name is "Hollis Wren")."""
    while words and words[0].lower() in _OPENERS:
        words.pop(0)
    title = []
    while len(words) > 2 and words[0].lower() in _TITLES:
        title.append(words.pop(0))
    return title, words


def place(run: str, lead: str, after: str) -> str | None:
    """The place a run names, if it is one, with the writer's article: before a place noun,
    after a preposition of place or a place noun, ending on a place's word, or by apposition."""
    if _no_place(run, lead):
        return None
    after_place = _AFTER_PLACE.search(lead)
    if after_place and after_place.group("year") and _VERB_AFTER.match(after):
        return None
    article = "the " if re.search(r"(?:^|\s)the\s+$", lead) else ""
    noun = re.match(r"\s+([a-z]+)", after)
    if noun and noun.group(1) in _PLACE_WORDS:
        return f"{article}{run} {noun.group(1)}"
    setting = None if lead.strip() else SETTING.match(run + after)
    placed = (
        (setting and setting["where"] == run)
        or (" " not in run and _IN_DESCRIBED.search(lead))
        or (after_place and not _PARTICLE.search(lead))
        or run.split()[-1].lower() in _PLACE_WORDS
        or _AFTER_PLACE_NOUN.search(lead)
        or _APPOSED_PLACE.match(after)
    )
    return f"{article}{run}" if placed else None


def _no_place(run: str, lead: str) -> bool:
    """A run that is surely no place: a place's word the sentence capitalised ("Street magician
    Leo Fontaine"), or a title opening a person ("her wedding to Lord Varic"; "Lord Howe Island"
    ends on a place's word)."""
    words = run.lower().split()
    capitalised = (
        len(words) == 1 and words[0] in _PLACE_WORDS and re.search(r"(?:^|[.!?]\s+)$", lead)
    )
    return bool(capitalised) or (words[0] in _NAME_TITLES and words[-1] not in _PLACE_WORDS)


def with_shared_surname(run: str, lead: str, after: str) -> str:
    """A first name alone before "and" and a full name, with the surname they share ("Maya" in
    "Maya and Leila Haddad": "Maya Haddad"); any other run as it is."""
    joined = _AND_FULL_NAME.match(after)
    if joined is None or " " in run or joined["surname"].lower() in _PLACE_WORDS:
        return run
    first = joined.group(0).split()[1].lower()  # "and Old Tom": an epithet, no first name
    # "her aunt Rosa and Ben Kerr": two people; "Twin brothers Kwame and Kofi Mensah": one name.
    kin = re.search(rf"\b(?:{_words('kin')})\s+$", lead) and not re.search(r"s\s+$", lead)
    shared = first not in _EPITHETS | _NAME_ADJECTIVES and first not in _OPENERS and not kin
    return f"{run} {joined['surname']}" if shared else run


def epithet(run: str) -> bool:
    """Whether "the" and a run is a person by its last word, wherever it stands: a title, a
    role or an epithet's ending ("the Keeper")."""
    last = run.split()[-1].lower()
    return last in _EPITHETS or last.endswith(_EPITHET_ENDS)


def things(text: str) -> list[str]:
    """The things `text` names, in the order of the two readings. A thing is a noun phrase
    with its article ("the only logbook"), never an adjective-led cut of one ("only
    logbook"); "her logbook" is "logbook"."""
    taken = [m for m in _THING.finditer(text) if not _not_thing(m.group(2).split()[-1])]
    return [_thing(m) for m in (*taken, *_BEFORE_THING.finditer(text))]


def _not_thing(noun: str) -> bool:
    """A word for a person, a place, an abstract, one or many ("the miners"), is no thing; nor
    is a complement, a past participle after its noun among them ("wants her workshop
    seized": no "workshop seized"; "the title deed", "the woodshed", "the seabed" are things)."""
    noun_ed = noun.endswith(("eed", "bed", "shed"))
    participle = len(noun) >= 5 and noun.endswith("ed") and not noun_ed
    return participle or noun in _NOT_THINGS or (noun.endswith("s") and noun[:-1] in _NOT_THINGS)


def _thing(match: re.Match[str]) -> str:
    article = match.group(1).strip().lower()
    return f"{article} {match.group(2)}" if article in _ARTICLES else match.group(2)
