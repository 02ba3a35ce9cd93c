"""A character's act as a kind (issue 78), not as a phrase: a known character's name (or alias)
followed, within a short gap, by a verb: in English one the lexicon lists (`acts`,
`past_irregular`), any word in -ed, or a speech verb before the name ('"Go," snapped Mara'); in
Chinese the lexicon's `acts`, a word the tagger misreads (`act_starts`: "把", "接过") or the
first word after the name tagged a verb or an idiom, past adverbs, numbers, a place or a
prepositional phrase ("慢慢走了进来", "在河边", "替病人"). `not_acts` (dying, "是") are no act.

Bounded: one search per sentence of the alternation `rules.compiled` makes once per cast; in
Chinese one tagging (by the dictionary) of at most _TAIL characters per name the sentence says
(none when a possessive or a pause follows it), whatever the lexicon's size.
"""

from collections.abc import Iterator

from infinite_scribe.text import segment, vocabulary
from infinite_scribe.text.rules import Rules

#: How many characters after a Chinese name are tagged.
_TAIL = 12
#: What may stand between a Chinese name and its verb (adverbs, numbers, measure words).
_SKIPPED = ("d", "ad", "m", "mq", "q")
#: A place's last word ("里", "河边").
_PLACES = ("f", "s")
_PLACE_ENDS = vocabulary.characters("zh", "act_place_ends")
_NUMBERS = ("m", "mq")
#: The aspect particles (着, 了, 过): the word before them is a verb, whatever its tag.
_ASPECTS = ("uz", "ul", "ug")
#: What, right after a name, starts no act (a possessive, a pause, full-width or not): not
#: tagged at all.
_NO_ACT = "的之\uff0c\u3002\uff01\uff1f\uff1b\u3001\uff1a,.!?;:\u201d\u300d"
#: What ends a preposition's object (a noun, a pronoun, a place or a direction).
_OBJECTS = ("n", "r", "s", "f")
#: A verb or an idiom ("推门而入").
_VERBS = ("v", "i")


def acts(sentence: str, rules: Rules) -> Iterator[tuple[str, int, int]]:
    """(the name as written, start, end) of each act `sentence` says of a known character."""
    if rules.acts is None:
        return
    for match in rules.acts.finditer(sentence):
        groups = match.groupdict()
        verb = (groups.get("verb") or "").lower()
        if verb not in rules.not_acts:
            yield groups.get("name") or groups.get("said") or "", match.start(), match.end()
    if rules.language == "zh" and rules.cast is not None:
        for match in rules.cast.finditer(sentence):
            if _verb_after(sentence[match.end() : match.end() + _TAIL], rules):
                yield match.group(), match.start(), match.end()


def _verb_after(tail: str, rules: Rules) -> bool:
    """Whether a Chinese name's next word (past adverbs and numbers) is an act; past a place
    ("在酒肆里拍着", "已经在灶台前忙活"), any word that says what the character does there."""
    if not tail or tail[0] in _NO_ACT or tail.startswith(rules.act_starts):
        return bool(tail) and tail[0] not in _NO_ACT
    words, placed, previous = segment.tagged(tail, guessed=0), False, ""
    at = first = 0  # `first`: where the words that may be skipped start (past a place)
    while at < len(words):
        word, flag = words[at]
        if word in rules.not_acts:
            return False
        if word in rules.act_places and not placed:
            at = first = _past_place(words, at)
            placed = True
        elif flag == "p" and word in rules.act_preps and at == first:  # "替病人", "给他的妻子"
            at = first = _past_object(words, at)
        elif _is_act(words, at, placed, previous, rules):
            return True
        elif at - first >= 2 or not (flag in _SKIPPED or word.endswith("地")):
            return False
        else:
            previous, at = flag, at + 1
    return False


def _is_act(words: list[tuple[str, str]], at: int, placed: bool, prior: str, rules: Rules) -> bool:
    """Whether the word at `at` says what the character does: a verb or an idiom, a word an
    aspect particle follows, or one the tagger misreads after a place or a number."""
    word, flag = words[at]
    return (
        flag.startswith(_VERBS)
        or word in rules.act_starts
        or (at + 1 < len(words) and words[at + 1][1] in _ASPECTS)  # "挺着", "骂了"
        or (placed and flag.startswith("a"))  # "在灶台前忙活"
        or (flag == "zg" and prior in _NUMBERS)  # "一脚踩进"
    )


def _past_object(words: list[tuple[str, str]], at: int) -> int:
    """Where the object of the preposition at `at` ends: its first noun or pronoun that no
    的 follows ("远在江南的妻子": 妻子), the next word's index."""
    for end in range(at + 1, len(words) - 1):
        if words[end][1].startswith(_OBJECTS) and words[end + 1][1] != "uj":
            return end + 1
    return len(words)


def _past_place(words: list[tuple[str, str]], at: int) -> int:
    """Where the place that opens at `at` ("在", "河边") ends (the next word's index)."""
    for end in range(at + 1, len(words)):
        word, flag = words[end]
        if flag in _PLACES or word[-1] in _PLACE_ENDS:
            return end + 1
    return len(words)
