"""What the offline writer's earlier chapters of a book say (issue 70): a sentence of its banks
is said once in a book (decision 6901). The writer keeps no state: an earlier chapter is played
again from the brief's bible's outline (one drafted with wishes, or edited, may rarely differ)."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from uuid import UUID

from infinite_scribe.domain.chapter_brief import EARLIER_CHAPTERS, ChapterBrief, chapter_outline
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.passages import MIN_PASSAGE, folded

#: The earlier chapters played again: a bound on a late chapter's cost (about 2.5 ms each, all
#: banks); the details' stock comes round after about as many (1,001 / 10 a chapter) anyway.
PLAYED = 50

Choices = Callable[[ChapterBrief], list[str]]


@dataclass
class _Book:
    """One book's played chapters, kept from one chapter's draft to the next (issue 80): each
    earlier brief and what each bank offers it are made once a book, not 50 times."""

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
    """The briefs of the (at most PLAYED) chapters before `brief`'s, as its outline gives them."""
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


#: A run of a sentence shorter than a repeated passage: what flanks a sentence ("...,” Ada
#: says. ") may make up the rest, so a sentence sharing this much with an earlier one is said.
RUN = MIN_PASSAGE - 20


@lru_cache(maxsize=2048)
def _runs(sentence: str) -> frozenset[str]:
    """Every RUN-character run of `sentence` folded (itself if shorter): two sentences sharing one
    may say a passage again though their ends differ (kept: a book replays its sentences)."""
    flat = folded(sentence)
    return frozenset(flat[i : i + RUN] for i in range(len(flat) - RUN + 1)) or frozenset([flat])


def _pick(choices: list[str], number: int, said: set[str]) -> str | None:
    """The first of `choices` not said yet (no run of it said), from the chapter's turn on;
    when all are, the turn's if shorter than a RUN (too short to be a passage: most Chinese)."""
    if not choices:
        return None
    turn = number % len(choices)
    fresh = next((c for c in choices[turn:] + choices[:turn] if said.isdisjoint(_runs(c))), None)
    return fresh or (choices[turn] if choices[turn] and len(folded(choices[turn])) < RUN else None)


def once(brief: ChapterBrief, choices: Choices) -> str | None:
    """The sentence `brief`'s chapter says of bank `choices`: `_pick`'s, after the earlier's."""
    said: set[str] = set()
    book = _book(brief)
    for before in earlier_briefs(brief):
        offered = book.offered(before, choices)
        picked = _pick(offered, before.number, said)
        if picked is not None:
            said |= _runs(picked)
    return _pick(choices(brief), brief.number, said)


def first_time(brief: ChapterBrief, sentence: str, choices: Choices) -> bool:
    """Whether no earlier chapter says `sentence` (one of its choices by `choices`)."""
    book = _book(brief)
    return all(sentence not in book.offered(b, choices) for b in earlier_briefs(brief))
