"""What the offline writer's earlier chapters of a book say (issue 70): a sentence of its
banks (an opening, a meeting, a turn, a close, a gesture, an atmosphere, a last line, a
place's description) is said once in a book, never again (decision 6901).

The writer keeps no state: which variant an earlier chapter said follows from that chapter's
outline entry and the bible alone, so it is played again here, chapter by chapter, from the
outline the brief's bible holds. A chapter drafted with wishes, or edited by its writer, may
differ from what is played here: then a sentence may come round again, rarely.
"""

from collections.abc import Callable
from uuid import UUID

from infinite_scribe.domain.chapter_brief import EARLIER_CHAPTERS, ChapterBrief, chapter_outline
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.passages import MIN_PASSAGE, folded

#: The earlier chapters played again: a bound on the cost of a chapter late in a long book
#: (about 2.5 ms an earlier chapter, all banks: 150 ms at most); the details' stock comes
#: round after about as many (1,001 / 20 a chapter), so what lies further back may too.
PLAYED = 50

Choices = Callable[[ChapterBrief], list[str]]


def earlier_briefs(brief: ChapterBrief) -> list[ChapterBrief]:
    """The briefs of the chapters before `brief`'s, as its outline gives them (at most the
    PLAYED last), each with the outline entries before it as the chapters confirmed; kept for
    the book's next look (one chapter's banks look at them all, `_BOOKS`)."""
    died = brief.memory.get("died") or {}
    key = (id(brief.bible), brief.number, brief.novel_id, brief.language, str(died))
    kept = _BOOKS.get(key)
    if kept is not None and kept[0] is brief.bible:
        return kept[1]
    chapters = chapter_outline(brief.bible.outline)[: max(brief.number - 1, 0)]
    briefs = [
        ChapterBrief(
            brief.novel_id,
            number,
            title,
            summary,
            brief.language,
            brief.bible,
            tuple(chapters[max(number - 1 - EARLIER_CHAPTERS, 0) : number - 1]),
            # Who was dead when it was drafted: its cast, and so its sentences, were theirs.
            memory={"dead": [name for name, at in died.items() if at < number]} if died else {},
        )
        for number, title, summary in chapters[-PLAYED:]
    ]
    if len(_BOOKS) >= 16:
        _BOOKS.clear()
    _BOOKS[key] = (brief.bible, briefs)
    return briefs


#: The earlier briefs of the chapters drafted last, by their bible (held, so its id is its
#: own) and number: the banks of one chapter read the same earlier chapters, and their casts
#: (`chapter_cast.read_cast`, kept by brief) are read once.
_BOOKS: dict[tuple[int, int, UUID, str, str], tuple[NovelBible, list[ChapterBrief]]] = {}


class _Said:
    """The sentences said so far, and every RUN-character run of them: a sentence that has
    one of them may say a passage again (the continuity check's repetition), even where its
    end differs ("still thinking of Ada" and "... of Tomas")."""

    def __init__(self) -> None:
        self.sentences: set[str] = set()
        self.runs: set[str] = set()

    def __contains__(self, sentence: str) -> bool:
        flat = folded(sentence)
        return flat in self.sentences or any(run in self.runs for run in _runs(flat))

    def add(self, sentence: str) -> None:
        flat = folded(sentence)
        self.sentences.add(flat)
        self.runs.update(_runs(flat))


#: A run of a sentence shorter than a repeated passage: what flanks a sentence ("...,” Ada
#: says. ") may make up the rest, so a sentence sharing this much with an earlier one is said.
RUN = MIN_PASSAGE - 20


def _runs(flat: str) -> list[str]:
    return [flat[i : i + RUN] for i in range(len(flat) - RUN + 1)]


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
    said = _Said()
    for before in earlier_briefs(brief):
        picked = _pick(choices(before), before.number, said) or _short(choices(before), before)
        if picked is not None:
            said.add(picked)
    return _pick(choices(brief), brief.number, said) or _short(choices(brief), brief)


def _short(choices: list[str], brief: ChapterBrief) -> str | None:
    turn = choices[brief.number % len(choices)] if choices else ""
    return turn if turn and len(folded(turn)) < RUN else None


def first_time(brief: ChapterBrief, sentence: str, choices: Choices) -> bool:
    """Whether no earlier chapter says `sentence` (one of its choices by `choices`)."""
    return all(sentence not in choices(before) for before in earlier_briefs(brief))
