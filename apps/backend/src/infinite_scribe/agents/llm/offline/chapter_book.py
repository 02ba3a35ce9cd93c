"""What the offline writer's earlier chapters of a book say (issue 70): a sentence of its banks
(an opening, a meeting, a gesture, a last line, ...) is said once in a book (decision 6901).

The writer keeps no state: what an earlier chapter said follows from its outline entry and the
bible alone, so it is played again here from the outline the brief's bible holds (a chapter
drafted with wishes, or edited, may differ: then a sentence may, rarely, come round again).
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from uuid import UUID

from infinite_scribe.domain.chapter_brief import EARLIER_CHAPTERS, ChapterBrief, chapter_outline
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.passages import MIN_PASSAGE, folded

#: The earlier chapters played again: a bound on the cost of a chapter late in a long book
#: (about 2.5 ms an earlier chapter, all banks: 150 ms at most when none was played before);
#: the details' stock comes round after about as many (1,001 / 10 a chapter), so what lies
#: further back may too.
PLAYED = 50

Choices = Callable[[ChapterBrief], list[str]]


@dataclass
class _Book:
    """One book's played chapters, kept from one chapter's draft to the next (issue 80): the
    next chapter plays back the same earlier chapters but one, so each earlier brief and what
    each bank offers it are made once while the book is being written, not 50 times."""

    bible: NovelBible
    chapters: list[tuple[int, str, str]]
    briefs: dict[tuple[int, tuple[str, ...]], ChapterBrief] = field(default_factory=dict)
    offers: dict[tuple[int, tuple[str, ...], Choices], list[str]] = field(default_factory=dict)

    def brief(self, of: ChapterBrief, number: int, died: dict[str, int]) -> ChapterBrief:
        # Who was dead when it was drafted: its cast, and so its sentences, were theirs.
        dead = tuple(name for name, at in died.items() if at < number)
        kept = self.briefs.get((number, dead))
        if kept is None:
            if len(self.briefs) >= 4 * PLAYED:
                self.briefs.clear()
                self.offers.clear()
            _, title, summary = self.chapters[number - 1]
            earlier = tuple(self.chapters[max(number - 1 - EARLIER_CHAPTERS, 0) : number - 1])
            memory = {"dead": list(dead)} if died else {}
            kept = ChapterBrief(
                of.novel_id, number, title, summary, of.language, self.bible, earlier, memory=memory
            )
            self.briefs[(number, dead)] = kept
        return kept

    def offered(self, before: ChapterBrief, choices: Choices) -> list[str]:
        """What bank `choices` offers an earlier chapter (`before`, one of this book's)."""
        key = (before.number, tuple(before.memory.get("dead") or ()), choices)
        kept = self.offers.get(key)
        if kept is None:
            kept = self.offers[key] = choices(before)
        return kept


def earlier_briefs(brief: ChapterBrief) -> list[ChapterBrief]:
    """The briefs of the chapters before `brief`'s, as its outline gives them (at most the
    PLAYED last), each with the outline entries before it as the chapters confirmed."""
    book = _book(brief)
    died = brief.memory.get("died") or {}
    first = max(brief.number - 1 - PLAYED, 0)
    last = min(brief.number - 1, len(book.chapters))
    return [book.brief(brief, number, died) for number in range(first + 1, last + 1)]


def _book(brief: ChapterBrief) -> _Book:
    """`brief`'s book, by what its bible says (each draft's task brings its own copy)."""
    key = (brief.novel_id, brief.language, _fingerprint(brief.bible))
    book = _BOOKS.get(key)
    if book is None:
        if len(_BOOKS) >= 16:
            _BOOKS.clear()
        book = _BOOKS[key] = _Book(brief.bible, chapter_outline(brief.bible.outline))
    return book


def _fingerprint(bible: NovelBible) -> bytes:
    kept = _PRINTS.get(id(bible))
    if kept is not None and kept[0] is bible:
        return kept[1]
    said = json.dumps(asdict(bible), sort_keys=True, ensure_ascii=False, default=str)
    printed = hashlib.blake2b(said.encode(), digest_size=16).digest()
    if len(_PRINTS) >= 64:
        _PRINTS.clear()
    _PRINTS[id(bible)] = (bible, printed)
    return printed


#: The books being written, by novel, language and what their bible says.
_BOOKS: dict[tuple[UUID, str, bytes], _Book] = {}
#: Bibles' fingerprints by bible (held, so its id is its own): one chapter's banks ask often.
_PRINTS: dict[int, tuple[NovelBible, bytes]] = {}


class _Said:
    """The sentences said so far, and every RUN-character run of them: a sentence that has
    one of them may say a passage again (the continuity check's repetition), even where its
    end differs ("still thinking of Ada" and "... of Tomas")."""

    def __init__(self) -> None:
        self.sentences: set[str] = set()
        self.runs: set[str] = set()

    def __contains__(self, sentence: str) -> bool:
        flat, runs = _runs(sentence)
        return flat in self.sentences or not self.runs.isdisjoint(runs)

    def add(self, sentence: str) -> None:
        flat, runs = _runs(sentence)
        self.sentences.add(flat)
        self.runs.update(runs)


#: A run of a sentence shorter than a repeated passage: what flanks a sentence ("...,” Ada
#: says. ") may make up the rest, so a sentence sharing this much with an earlier one is said.
RUN = MIN_PASSAGE - 20


@lru_cache(maxsize=2048)
def _runs(sentence: str) -> tuple[str, frozenset[str]]:
    """`sentence` folded, and its runs (kept: a book's sentences are played chapter after
    chapter; about 12 KB a sentence of 150 characters, so at most about 25 MB)."""
    flat = folded(sentence)
    return flat, frozenset(flat[i : i + RUN] for i in range(len(flat) - RUN + 1))


def _pick(choices: list[str], number: int, said: _Said) -> str | None:
    """The first of `choices` not said yet, from the chapter's own turn on."""
    if not choices:
        return None
    turn = number % len(choices)
    return next((c for c in choices[turn:] + choices[:turn] if c not in said), None)


def once(brief: ChapterBrief, choices: Choices) -> str | None:
    """The sentence `brief`'s chapter says of the bank `choices` gives (its variants, filled,
    for a chapter): the first from its turn that no earlier chapter said; when the book has
    said them all, its turn's if shorter than a RUN (too short to be a passage: most Chinese
    ones), else None."""
    said, book = _Said(), _book(brief)
    for before in earlier_briefs(brief):
        offered = book.offered(before, choices)
        picked = _pick(offered, before.number, said) or _short(offered, before)
        if picked is not None:
            said.add(picked)
    offered = choices(brief)
    return _pick(offered, brief.number, said) or _short(offered, brief)


def _short(choices: list[str], brief: ChapterBrief) -> str | None:
    turn = choices[brief.number % len(choices)] if choices else ""
    return turn if turn and len(folded(turn)) < RUN else None


def first_time(brief: ChapterBrief, sentence: str, choices: Choices) -> bool:
    """Whether no earlier chapter says `sentence` (one of its choices by `choices`)."""
    book = _book(brief)
    return all(sentence not in book.offered(b, choices) for b in earlier_briefs(brief))
