"""What a revision's feedback asked for, as the offline reader read it (issue 55): (value,
sentence in the writer's language) for each change, handed to the one note function
(domain/revision_note.py), which says each made only when the diff of the versions shows it."""

from infinite_scribe.agents.llm.offline.words import Words, mood_of
from infinite_scribe.text.facts import Facts


def asked(wished: Facts, words: Words, feedback: str | None) -> list[tuple[str, str]]:
    """(value, sentence) for each change the reader found in the feedback."""
    if feedback is None:
        return []
    changes, said = words.changes, []
    for kind in ("hero", "place", "time", "antagonist"):
        value = getattr(wished, kind)
        if value:
            said.append((value, changes[kind].format(value=value, value_a=_a(value))))
    if wished.hero_name:
        said.append((wished.hero_name, changes["name"].format(value=wished.hero_name)))
    said += [(e, changes["elements"].format(value=e)) for e in wished.elements]
    said += [(wish, changes["acts"].format(number=n, value=wish)) for n, wish in wished.acts]
    said += [(s, changes["styles"].format(value=s)) for s in wished.styles]
    if tone := mood_of(words, feedback):
        said.append((tone, changes["tone"].format(value=tone)))
    return said


def _a(value: str) -> str:
    """ "an old smuggler", "a ship's doctor" (the Chinese patterns do not use it)."""
    return f"{'an' if value[:1].lower() in 'aeiou' else 'a'} {value}"
