"""Chinese word segmentation for the offline generator: jieba, loaded once and lazily.

jieba's dictionary (shipped inside the package, no download) costs about 0.6 s to import,
1.2-2 s to load (from its cache in the temp directory; the first run ever builds the cache
from `dict.txt`) and about 110 MB of memory, all once per process. `warm()` pays it on a
thread when the agent worker starts (agents/worker.py), so the first request does not: its
load holds the GIL, and mid-run it stalled the shared loop for 0.5 s (bench/longest_inputs.py).
After that a short text segments in well under a millisecond. Part-of-speech tagging
(`jieba.posseg`, issue 69: people, places, times and things the writer named) shares the
tokenizer; its tables load with it (the process's peak grows by about 170 MB in all, 70 MB
without them; a loop ticking every 5 ms beside the load saw a longest gap of 0.33 s, 0.23 s
without them, on a busy 2-core machine).
"""

import gc
import threading
import warnings
from functools import cache, lru_cache
from typing import Any

from infinite_scribe.text import vocabulary

_lock = threading.Lock()


@cache
def _tokenizer() -> Any:
    with _lock, warnings.catch_warnings():
        # jieba 0.42 has non-raw regex strings and imports pkg_resources: harmless warnings
        # that a warnings-as-errors run would turn into failures.
        warnings.simplefilter("ignore")
        import jieba

        jieba.setLogLevel(60)  # no "Building prefix dict" lines in the worker's log
        import jieba.posseg

        # The module's own tagger, not a new one: each POSTokenizer reads every word's tag from
        # `dict.txt` (about 1 s), and importing `jieba.posseg` has already built this one; a
        # second, initialised as a whole, read it twice more (2.3 s of a process's start).
        tokenizer = jieba.posseg.dt
        tokenizer.tokenizer.initialize()
        _teach(tokenizer.tokenizer)
        list(tokenizer.cut("预热"))  # the tagger's tables
        # The dictionary is hundreds of thousands of objects that live as long as the process:
        # out of the collector's reach, or every full collection walks them (12.5 ms each,
        # measured, holding the GIL the shared loop needs).
        gc.freeze()
        return tokenizer


def _teach(tokenizer: Any) -> None:
    """Give jieba the lexicon's words before the first cut: each tagged word with its part of
    speech (`add_word`: 大连 is a place, not the adverb the dictionary says), each known split
    cut so (`suggest_freq(parts, tune=True)`). The tagger then reads them so from the start,
    with no patch after the fact."""
    lexicon = vocabulary.lexicon("zh")
    for word, tag in lexicon.tagged.items():
        tokenizer.add_word(word, tag=tag)
    # A role the readers know is one word (绣娘 + 林秋月, not 绣/v 娘林/n 秋月/t), as is someone's
    # child (通事 + 之女 + 梁秀英, not 女梁/n): a noun where the dictionary lacks it; where it has
    # it, with its own tag (刑警/j) and a frequency that keeps it whole. In a fixed order: a
    # word's frequency is suggested from the words taught before it.
    roles = vocabulary.words("zh", "roles", "kin_roles") - set(lexicon.tagged)
    # A title is a noun whatever the dictionary says (师爷/nr, 老大/a, 大亨/nr before a name).
    titles = vocabulary.words("zh", "titles") - set(lexicon.tagged)
    for word in vocabulary.longest_first(roles | titles):
        if tokenizer.FREQ.get(word) and word not in titles:
            tokenizer.suggest_freq(word, tune=True)
        else:
            tokenizer.add_word(word, freq=tokenizer.suggest_freq(word), tag="n")
    for parts in lexicon.splits:
        tokenizer.suggest_freq(tuple(parts), tune=True)


def loaded() -> bool:
    return _tokenizer.cache_info().currsize > 0


def warm() -> None:
    """Load the dictionary now (blocking; call it on a thread)."""
    _tokenizer()


def words(text: str) -> list[str]:
    """`text` cut into words ("火星殖民地的女法医" -> 火星, 殖民地, 的, 女, 法医): the tagger's cut
    (`tagged`), so that every reader reads one segmentation (白石岛 is one word to each)."""
    return [word for word, _ in tagged(text)]


#: Characters tagged with the tagger's hidden Markov model (which finds the names nobody put in
#: the dictionary: 10 us a character): a writer names the people of an idea in its first lines;
#: the rest by the dictionary alone (1.5 us a character).
GUESSED = 80


def tagged(text: str, guessed: int = GUESSED) -> list[tuple[str, str]]:
    """`text` cut into (word, part of speech) ("沈青" nr, "上海" ns, "除夕" t, "怀表" n); its first
    `guessed` characters with the hidden Markov model (0: by the dictionary alone, 7 times
    faster: what follows a name the reader knows). A list of its own (a reader may pop it)."""
    return list(_cut(text, guessed) if len(text) > SHORT else _remembered(text, guessed))


#: An idea is cut by each of its readers (the names', the places', the hero's: five times for
#: one codex): a short text is cut once. At most _REMEMBERED of them are kept, 60 KB each at
#: SHORT characters (measured): 4 MB at most.
SHORT, _REMEMBERED = 600, 64


def _cut(text: str, guessed: int) -> tuple[tuple[str, str], ...]:
    cut = _tokenizer().cut
    pairs = [*cut(text[:guessed]), *cut(text[guessed:], HMM=False)]
    words = [(pair.word, pair.flag) for pair in pairs if pair.word.strip()]
    return tuple(_role_ends_given_back(words))


_remembered = lru_cache(maxsize=_REMEMBERED)(_cut)


#: A character that ends a word for a person's trade (修复师, 调查员).
_ROLE_ENDS = frozenset(vocabulary.characters("zh", "role_ends"))


def _role_ends_given_back(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The model guesses a name that took the last character of the trade before it (修复/v
    师苏雨/nr): the character goes back to the trade (修复师/n 苏雨/nr). And a name it guesses
    before a place's last character is that place's (白石/nr 岛/n: 白石岛/ns)."""
    out: list[tuple[str, str]] = []
    for word, flag in pairs:
        took = flag == "nr" and len(word) == 3 and word[0] in _ROLE_ENDS
        if took and out and out[-1][1][:1] in ("v", "n") and len(out[-1][0]) >= 2:
            out[-1] = (out[-1][0] + word[0], "n")
            word = word[1:]
        if word in _PLACE_ENDS and flag in ("n", "ns") and out and out[-1][1] in ("nr", "ns"):
            out[-1] = (out[-1][0] + word, "ns")
            continue
        out.append((word, flag))
    return out


_PLACE_ENDS = frozenset(vocabulary.characters("zh", "place_ends"))


def known(word: str) -> bool:
    """Whether `word` is in the dictionary (names the writer invents are not)."""
    return bool(_tokenizer().tokenizer.FREQ.get(word))
