# ruff: noqa: RUF001 - Chinese and typographic punctuation on purpose
"""Reading an English idea or feedback with phrase rules: "a forensic doctor on Mars in 2150
discovers ..." -> hero "forensic doctor", place "Mars", time "2150", event "discovers ..."."""

import re
from functools import partial

from infinite_scribe.text import named_en, noun_phrase, times_en, vocabulary
from infinite_scribe.text.facts import Facts
from infinite_scribe.text.requests import by_clause, read_changes, without_measure

ROLES = vocabulary.words("en", "roles")
_ROLE_ENDS = vocabulary.phrases("en", "role_ends")
_SURE_ROLE_ENDS = tuple(end for end in _ROLE_ENDS if len(end) >= 4)
PLACE_NOUNS = vocabulary.words("en", "place_nouns")
_words = partial(vocabulary.alternation, "en")  # a lexicon's list as an alternation
_PREPOSITIONS = f"(?:{_words('prepositions')})"
_ARTICLES, _ARTICLE = vocabulary.words("en", "articles"), vocabulary.either("en", "articles")
#: The hero's role and name as an idea gives them (carried verbatim, issues 55 and 69): in
#: apposition, before "named", after "the", or bare before the name when its last word is a
#: role; where an apposition says the person is from is no part of the role, but a place.
_ROLE_WORDS = r"(?P<role>(?:[A-Z]{2,}\s+)?(?:[a-z][a-z-]*\s+){0,2}[a-z][a-z-]*)"  # NASA engineer
#: A role whose first words may be capitalised (before "named", or opening the sentence).
_CAPPED_ROLE = r"(?P<role>(?:[A-Za-z][a-z-]*(?:'s|’s)?\s+){0,2}[a-z][a-z-]*)"
_NAME = r"(?P<name>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)"
#: "named" or "called", or a name in quotes ("known only as "Bramble"", "nicknamed "Wren"").
NAMINGS = vocabulary.alternation("en", "namings", spaced=True)
_CALLED = rf"(?:named|called|(?:{NAMINGS})\s+[\"“](?=[^\"”]+[\"”]))"
_NAMED = re.compile(r"\b" + _CALLED + r"\s*" + _NAME + r"[\"”]?")
_APPOSITION = re.compile(rf"^{_NAME},\s+{_ARTICLE}\s")
_WHERE = rf"(?:\s+(?:{_words('apposition_prepositions')})\s+(?P<where>[^,;]{{1,60}}))?"
#: The shortest role before where it is ("a conductor out of Lisbon": "conductor"), up to a
#: comma or a relative pronoun ("Ada Pike, a widow who ...").
_SHORTEST = _ROLE_WORDS.replace("{0,2}", "{0,2}?")
_APPOSED = re.compile(
    rf"{_NAME},\s+{_ARTICLE}\s+{_SHORTEST}{_WHERE}(?=,|\s+(?:{_words('relatives')})\b)"
)
_ATTACHED = (
    _APPOSED,
    re.compile(
        r"\b(?:[Aa]|[Aa]n|[Tt]he)\s+" + _CAPPED_ROLE + r"\s+" + _CALLED + r"\s*" + _NAME + r"[\"”]?"
    ),
    # "..., and its young navigator Kira Tal": a role a possessive gives is bare too.
    re.compile(
        rf"(?:^|[,;]\s*)(?:and\s+(?:{_words('possessives')})\s+)?(?P<the>the\s+)?{_ROLE_WORDS}\s+"
        rf"{_NAME}\b"
    ),
    re.compile(r"^(?P<the>)" + _CAPPED_ROLE + r"\s+" + _NAME + r"\b"),
    # One role word opening the sentence, capitalised by it ("Pilot Anya Volkova").
    re.compile(r"^(?P<the>)(?P<role>[A-Z][a-z-]+)\s+" + _NAME + r"\b"),
)
#: The idea's own opening ("In 1897 Valparaiso, "): told by the time and place slots.
_OPENING = re.compile(rf"^(?:{_words('opening_prepositions')})\s+[^,;]{{1,60}},\s*", re.I)
_STOP, _VERBS = vocabulary.words("en", "stop"), vocabulary.words("en", "verbs")
_OPENERS = vocabulary.words("en", "run_openers")
_TIME, _TIME_LEADS = times_en.WHEN, times_en.WHEN_LEADS
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s|[;\n]")
_VERB_LEADS = vocabulary.phrases("en", "verb_leads")  # the longest first


def is_role(word: str, opening: bool = False) -> bool:
    """A role word, or a lower-case word with a role's ending (never a name: "Meridian"); a
    word opening the sentence (its capital the sentence's) with one of the longer endings
    ("Beekeeper"; never "-ian" or "-man": "Julian", "Herman")."""
    ends = word[:1].islower() and len(word) > 4 and word.lower().endswith(_ROLE_ENDS)
    ends = ends or (opening and len(word) > 6 and word.lower().endswith(_SURE_ROLE_ENDS))
    word = word.lower().removesuffix("'s").removesuffix("’s")
    return word in ROLES or word.removesuffix("s") in ROLES or ends


_BY = [p.replace(" ", r"\s+") for p in vocabulary.phrases("en", "opposes") if p.endswith(" by")]
_OPPOSING_BY = re.compile(rf"\b(?:{'|'.join(_BY)})\s+$")
#: A word marking the rival right before a role ("her rival, the harbour master ..."): his.
_FOE = vocabulary.alternation("en", "request_foe", spaced=True)
_RIVALS = re.compile(rf"\b(?:{_FOE})(?:,|\s+(?:{_words('copulas')}))?\s*$", re.I)


def _hero(sentence: str) -> tuple[str | None, tuple[int, int], bool]:
    """The first "a/an/the (up to three words) role" phrase, where it is in `sentence`, and
    whether it is a possessive ("a keeper's winter")."""
    words = list(_WORD.finditer(sentence))
    for index, word in enumerate(words):
        if word.group(0).lower() not in _ARTICLES:
            continue
        before = sentence[: word.start()]
        if _OPPOSING_BY.search(before) or _RIVALS.search(before):
            continue  # who opposes ("seized by the pirate queen", "her rival, the warden")
        following: list[re.Match[str]] = []
        for candidate in words[index + 1 : index + 5]:
            # A comma ends the phrase ("the 1969 moon landing, insurance investigator").
            between = sentence[(following[-1] if following else word).end() : candidate.start()]
            if candidate.group(0).lower() in _STOP or "," in between:
                break
            following.append(candidate)
        roles = [n for n, candidate in enumerate(following) if is_role(candidate.group(0))]
        if roles:
            last = following[roles[0]]
            text = last.group(0)
            possessive = text.lower().endswith(("'s", "’s"))
            end = last.end() - (2 if possessive else 0)
            return sentence[following[0].start() : end], (word.start(), last.end()), possessive
    return None, (-1, -1), False


def _role_name(sentence: str) -> tuple[str, str, int, int] | None:
    """(role, name, where the phrase ends, where it starts) of the first person `sentence`
    names with a role attached (`_ATTACHED`); a role has no stop word."""
    found = []
    for pattern in _ATTACHED:
        for match in pattern.finditer(sentence):
            words = match.group("role").split()
            # Bare (no article before it): only a role word makes it a role.
            bare = "the" in pattern.groupindex and not match.group("the")
            while words and words[0].lower() in _STOP | _ARTICLES:
                words.pop(0)
            if not words or any(w.lower() in _STOP for w in words):
                continue
            if not _a_name(match.group("name")) or _RIVALS.search(sentence[: match.start()]):
                continue  # the opening's place, or the rival's role ("her rival, the warden")
            if not bare or is_role(words[-1], opening=match.start("role") == 0):
                role = " ".join(words)
                role = _uncapped(role) if match.start("role") == 0 else role
                found.append((role, match.group("name"), match.end(), match.start()))
                break
    return min(found, key=lambda item: item[3], default=None)


_DEMONYM_ENDS = vocabulary.phrases("en", "demonym_ends")
_NOT_DEMONYMS = vocabulary.words("en", "not_demonyms")  # "Public defender": "public defender"


def _uncapped(role: str) -> str:
    """A role opening the sentence without the sentence's capital ("Detective sergeant":
    "detective sergeant"); a people's adjective keeps its own ("Polish cartographer")."""
    first = role.split()[0]
    demonym = first.lower().endswith(_DEMONYM_ENDS) and first.lower() not in _NOT_DEMONYMS
    return role if demonym else role[:1].lower() + role[1:]


def _places(text: str) -> list[tuple[str, tuple[int, int]]]:
    """Places after a preposition: a proper name of one or more words ("Mars", "New Eden",
    "the colony of New Haven") or a phrase ending in a place noun ("a drowned city")."""
    found = []
    for match in re.finditer(r"\b" + _PREPOSITIONS + r"\s+(?=([^,.;:!?]+))", text, re.I):
        joined = " ".join(_place_words(match.group(1).split()))
        phrase = without_measure(joined, "en")
        # The span to the place's last word, past a year it skipped ("in 2029 Lagos").
        end = max(text.find(joined, match.start(1)), match.start(1)) + len(joined)
        found += [(phrase, (match.start(), end))] if _a_place(phrase) else []
    return found


def _apposed_places(first: str) -> list[tuple[str, tuple[int, int]]]:
    """The place a role in apposition says its person is in or comes from, when it reads as
    one ("Tomas Ferreira, a night-train conductor out of Lisbon,": Lisbon)."""
    found = []
    for match in _APPOSED.finditer(first):
        if match.group("where") is None:
            continue
        phrase = without_measure(" ".join(_place_words(match.group("where").split())), "en")
        if _a_place(phrase) and noun_phrase.plain(phrase, False):
            found.append((phrase, match.span("where")))
    return found


def origin(text: str, name: str) -> str | None:
    """Where `name` comes from, after the name or its apposed role ("Inés Arancibia from Chiloé",
    "Inés Arancibia, a ferrywoman from Chiloé"); none for no place or a part or day ("Act Two")."""
    apposed = rf"(?:,\s+{_ARTICLE}\s+{_SHORTEST})?\s+from\s+(?P<origin>[^,;]{{1,60}})"
    said = re.search(re.escape(name) + apposed, text)
    words = _place_words(said.group("origin").split()) if said else []
    told = any(word.lower() in _NOT_ORIGINS for word in words)
    return " ".join(words) if not told and _a_place(" ".join(words)) else None


_NOT_ORIGINS = {w.lower() for w in vocabulary.words("en", "story_parts", "weekdays", "months")}


def _place_words(following: list[str]) -> list[str]:
    """The words after a preposition that may name a place (at most 7)."""
    words: list[str] = []
    year = False
    for word in following:
        if year and words[:1] and words[0][:1].isupper() and word.lower() in _VERBS:
            return []  # "In 1911 Aoife Rooney keeps": a name before its verb is the subject
        if word.lower() in _STOP and not (word == "of" and words):
            break
        if word.lower() in _ARTICLES and words and words[-1] != "of":
            break  # another phrase ("in the end the keeper ..."), never one place
        if _TIME.fullmatch(word) and not words:
            year = True
            continue  # the opening's year before its place ("In 1911 Valparaíso")
        if _TIME.fullmatch(word) or not _WORD.match(word) or _ends_a_name(words, word):
            break  # a year, a dash that closes an aside, or the verb after a name
        words.append(word)
        if len(words) == 7:
            break
    while words and words[-1].lower() in ("of", "the"):
        words.pop()
    return words


def _a_place(phrase: str) -> bool:
    """Whether the phrase after a preposition is a place: a name or a place noun in it, and
    no festival ("on New Year's Eve" is a time)."""
    if not phrase or times_en.FESTIVAL.fullmatch(phrase):
        return False
    return any(w[0].isupper() or w.lower() in PLACE_NOUNS for w in phrase.split())


#: Small words inside a place's proper name ("Isla de Pascua", "Stratford upon Avon").
_NAME_JOINS = vocabulary.words("en", "name_joins")


def _ends_a_name(words: list[str], word: str) -> bool:
    """Whether `word` ends the proper name `words` began: a lowercase word after capitals that
    neither joins a name nor is a place noun ("New York harbour" goes on)."""
    named = [w for w in words if w.lower() not in _ARTICLES]  # "the Bank of Geneva"
    if not named or not named[0][0].isupper() or word[0].isupper():
        return False
    return word.lower() not in _NAME_JOINS and word.lower() not in PLACE_NOUNS


def event_core(event: str) -> str:
    """What is found out, without the finding ("discovers that X" -> "X"; "finds a diary and
    learns that X" -> "X")."""
    if learned := _LEARNED.search(event):
        return _THEN.split(learned.group(1))[0]
    for lead in _VERB_LEADS:
        if event.lower().startswith(lead + " "):  # up to the task after it ("and must ...")
            return _THEN.split(event[len(lead) + 1 :])[0]
    # A task ("must find who sank the steamer") turns on the question it asks.
    task = _TASK.match(event)
    # The question without its deadline ("... before the Naval Court sits").
    return _DEADLINE.split(task.group(1))[0] if task else event


_DEADLINE = re.compile(rf"\s+(?:{_words('task_deadlines')})\s")
_LEARNS = "|".join(lead for lead in _VERB_LEADS if lead.endswith(" that"))
_LEARNED = re.compile(rf"\band\s+(?:{_LEARNS})\s+(.+)$", re.I)
#: The task after what is found out, its subject said again or not ("..., and she must").
_THEN = re.compile(
    rf",?\s+and\s+(?:(?:{_words('subject_pronouns')})\s+)?(?:{_words('then_modals')})\s"
)
_TASK = re.compile(
    rf"^(?:{_words('task_modals')})\s+(?:{_words('task_verbs')})"
    rf"\s+((?:{_words('question_words')})\s.+)$",
    re.I,
)


def read(text: str) -> Facts:
    """The facts an English idea or story text states (its first sentence tells what happens)."""
    text = " ".join(text.split())[:800]
    if not text:
        return Facts()
    setting = named_en.SETTING.match(text)  # the hero is read in what follows it
    first = _SENTENCE_END.split(text[setting.end() if setting else 0 :], 1)[0].rstrip(".!? ")
    hero, hero_name, hero_end, possessive = _who(first)
    places = [(setting["where"], setting.span("where"))] if setting else []
    places += _places(text)
    places += [place for place in _apposed_places(first) if place[0] not in dict(places)]
    places.sort(key=lambda place: place[1])
    time = _TIME.search(first)
    if hero_end >= 0 and not possessive:  # a role, or a name before its verb
        event = _after_hero(first, hero_end, time)
    elif hero is None and len(_WORD.findall(first)) >= 3:
        event = _untold(first)
    else:
        event = None
    said = [phrase for phrase, _ in places]
    when = time.group(1) if time else setting["when"] if setting else None
    return Facts.told(hero, hero_name, said, when, event[:300] if event else None)


def _who(first: str) -> tuple[str | None, str | None, int, bool]:
    """The hero's role, their name, where the role phrase ends and whether it is a possessive:
    a role with a name attached first, else the first role and a name it is given."""
    hero, (hero_start, hero_end), possessive = _hero(first)
    role_name = _role_name(first)
    if role_name and (hero is None or role_name[3] <= hero_start):
        role, name, end, _ = role_name
        return role, name, end, False
    named = _NAMED.search(first) or _APPOSITION.match(first)
    given = named.group("name") if named and _a_name(named.group("name")) else None
    subject = _SUBJECT.match(first) if hero is None and given is None else None
    if subject and _a_name(subject.group("name")):  # "Aoife Rooney keeps ...": the hero
        return None, subject.group("name"), subject.start("name"), False
    return hero, given, hero_end, possessive


#: A name opening the sentence (after the opening's year) directly before its verb.
_SUBJECT = re.compile(
    rf"^(?:(?i:{_words('opening_prepositions')})\s+\d{{3,4}}s?,?\s+)?{_NAME}\s+"
    rf"(?:{_words('verbs')})\b"
)


def _a_name(words: str) -> bool:
    """Whether capitalised words can be a name: not opened by a run's opener ("In Murano, a
    storm ...": the opening's place)."""
    return words.split()[0].lower() not in _OPENERS


def _after_hero(first: str, hero_end: int, time: re.Match[str] | None) -> str | None:
    """What happens to the hero: the sentence after the hero, without its places and time."""
    spans = [span for _, span in _places(first)]
    if time and time.group(0).lower().startswith(_TIME_LEADS):
        spans.append(time.span())
    rest, cut = first[hero_end:], len(first)
    for start, end in sorted(s for s in spans if s[0] >= hero_end)[::-1]:  # overlaps cut once
        rest, cut = rest[: start - hero_end] + rest[max(min(end, cut), start) - hero_end :], start
    event = " ".join(rest.replace(" ,", ",").split()).strip(" ,")
    return event.removeprefix("who ").strip() or None


def _untold(first: str) -> str:
    """The sentence as the event when no hero is in it; the idea's opening is the time and
    place slots' to tell, never the event's."""
    opening = _OPENING.match(first)
    told = opening and (_TIME.search(opening.group(0)) or _places(opening.group(0)))
    return first[opening.end() :] if opening and told else first


_ACT_NUMBERS = vocabulary.numbers("en", "act_numbers")
_ACT = rf"act\s+({'|'.join(sorted(_ACT_NUMBERS, key=len, reverse=True))})\b"
#: "act two should add a storm", "in act two, the reactor explodes": what the act is to hold.
_ACT_SAYS = rf"(?:[^.;]*?\b(?:{_words('act_wish_verbs')})\s+|\s*[,:]\s*)"
_ACT_WISH = re.compile(_ACT + _ACT_SAYS + "(.+)", re.I)
_ACT_AFTER = re.compile(rf"(.+?)\s+(?:{_words('act_prepositions')})\s+{_ACT}", re.I)
_WISH_LEADS = re.compile(rf"^(?:{_words('wish_leads')})\s+", re.I)
_ADD_WISH = re.compile(
    rf"\b(?:{_words('add_verbs')}|(?:{_words('wish_asks')})(?=\s+(?:{_words('wish_counts')})\s))\s+(.+)",
    re.I,
)
_WISH_TAILS = tuple(" " + tail for tail in vocabulary.phrases("en", "wish_tails"))
#: A style the writer asks for; a hyphen in one is a hyphen or a space ("first person").
STYLES = re.compile(r"\b(?:" + _words("styles").replace(r"\-", "[- ]") + r")\b", re.I)


def _clean(phrase: str, article: bool = False) -> str:
    """A wish's phrase without trailing words ("itself", "please"); without its article
    unless `article` (the colony AI, a chase)."""
    phrase = phrase.strip(" .,;:!?")
    for tail in _WISH_TAILS:
        if phrase.lower().endswith(tail):
            phrase = phrase[: -len(tail)]
    phrase = phrase.strip(" .,")
    return (phrase if article else without_measure(phrase, "en"))[:100]


def _introduced(part: str) -> str:
    """A person a wish adds, by name ("a pilot named Ada Vey": "Ada Vey, a pilot"), else as said."""
    if (said := re.match(_NAME + r"\s+from\s", part)) and origin(part, said.group("name")):
        return said.group("name")  # "Sigrun Vik from Stavanger": her origin is her words
    found = _role_name(part)
    if found is None or found[3] != 0 or part.startswith(found[1]):
        return part
    role, name, end, _ = found
    article = part.split()[0].lower()
    article = article if article in _ARTICLES else "an" if role[0] in "aeiou" else "a"
    return f"{name}, {article} {role}{part[end:]}"


def read_feedback(feedback: str) -> Facts:
    """What an English feedback asks for ("the hero must be ...", "add ...", "act two ...")."""
    styles = tuple(match.lower() for match in STYLES.findall(feedback))
    return by_clause(feedback, _SENTENCE_END, _directive, styles)


def _apposed_to(before: str, part: str) -> bool:
    """Whether `part` says more of the part `before` it: the name's apposition (", a ferrywoman
    ...") or a relative clause of whatever it named (", who carries letters ...")."""
    if re.match(rf"(?:{_words('relatives')})\s", part.strip(), re.I):
        return True
    named = re.fullmatch(_NAME, before.strip())
    return bool(named) and bool(re.match(r"(?:an?|the)\s", part))


def _directive(clause: str) -> Facts:
    if (asked := read_changes(clause, "en", read, _TIME)) is not None:
        return asked
    if (match := _ACT_WISH.search(clause)) is not None:
        event = _clean(match.group(2), article=True)
        return Facts(acts=((_ACT_NUMBERS[match.group(1).lower()], event),))
    if (match := _ACT_AFTER.search(clause)) is not None:
        event = _WISH_LEADS.sub("", match.group(1))
        return Facts(acts=((_ACT_NUMBERS[match.group(2).lower()], _clean(event, article=True)),))
    if match := _ADD_WISH.search(clause):
        parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", match.group(1))
        # "Add Isolde Marr, a ferrywoman from Barrow": the name's apposition, not a wish of
        # its own (her words are the codex's, shown on her card).
        parts = [p for i, p in enumerate(parts) if not (i and _apposed_to(parts[i - 1], p))]
        # A wish keeps the writer's article ("a dust storm", never "with dust storm").
        parts = [_clean(_introduced(part.strip()), article=True) for part in parts]
        return Facts(elements=tuple(part for part in parts if part))
    return Facts()
