"""Whether a phrase can stand as a place or a name: a noun phrase (text/named.py reads the
names; the offline writer asks this of what it would call a place)."""

import re

from infinite_scribe.text import segment, vocabulary

_ZH_VERB_FLAGS = ("v", "vn", "vd", "p", "d", "r", "c")


def plain(phrase: str, chinese: bool, people: tuple[str, ...] = ()) -> bool:
    """Whether `phrase` can stand as a place or a name: a noun phrase, with no verb, no
    preposition and no person in it."""
    if any(person in phrase for person in people):
        return False
    if chinese:
        return not any(flag in _ZH_VERB_FLAGS for _, flag in segment.tagged(phrase[:100]))
    return not _EN_VERBS.search(phrase)


_EN_VERBS = re.compile(rf"\b(?:{vocabulary.alternation('en', 'verbs')})\b", re.I)
