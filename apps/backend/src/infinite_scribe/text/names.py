"""Which of a cast's names (and aliases) a text mentions, in one pass over the text (issue 71).

The reader's rules hold the names as a regular expression's alternation, which the engine
tries one by one at every position: a cast of 20,400 names read over a 59,000-character
sentence cost 42 s. Here the cast is a character trie built once per cast, walked from each
position of the text: the cost is the text's length times the depth a walk goes (at most the
longest name, 100 characters; one or two characters on prose), whatever the cast's size. The
rules are then compiled for the names the text has, a handful (at most MAX_RULE_NAMES, the
first met: a text naming thousands of the cast is read for the first of them).
"""

from collections.abc import Collection, Iterable
from functools import lru_cache

_END = ""  # a trie node's key for "a name ends here" (no name is empty)

#: The names a chapter's rules are compiled for: each costs the regular expressions' engine
#: a try at every position of every sentence.
MAX_RULE_NAMES = 200

Trie = dict[str, "Trie | str"]


class NameIndex:
    """A cast's names as a trie: `present(text)` is every name the text contains."""

    def __init__(self, names: Iterable[str]) -> None:
        self.root: Trie = {}
        for name in names:
            if not name:
                continue
            node = self.root
            for char in name:
                child = node.setdefault(char, {})
                assert isinstance(child, dict)
                node = child
            node[_END] = name

    def present(self, text: str) -> dict[str, None]:
        """The names that occur in `text` (as `name in text` would say of each), in the order
        of their first occurrence."""
        found: dict[str, None] = {}
        root, size = self.root, len(text)
        for start in range(size):
            node = root.get(text[start])
            at = start + 1
            while isinstance(node, dict):
                name = node.get(_END)
                if isinstance(name, str):
                    found.setdefault(name)
                if at >= size:
                    break
                node = node.get(text[at])
                at += 1
        return found


@lru_cache(maxsize=8)
def index_of(names: tuple[str, ...]) -> NameIndex:
    """The index of a cast (sorted names, for the cache: a novel's cast changes rarely)."""
    return NameIndex(names)


def names_in(text: str, names: Collection[str]) -> dict[str, None]:
    """The names of `names` that `text` mentions, first met first. A cast of MAX_RULE_NAMES or
    fewer is looked for name by name (a substring search each, in C: cheaper than the walk)."""
    if len(names) > MAX_RULE_NAMES:
        return index_of(tuple(sorted(names))).present(text)
    found = sorted((text.find(name), len(name), name) for name in names if name and name in text)
    return {name: None for _, _, name in found}
