"""An outline of many chapters, planned in batches (issue 54), pure.

A model writes a few dozen chapters of outline in one reply; a web novel has hundreds. When the
writer asks for more chapters than one reply holds (`preferences.chapters` of the PLOT_OUTLINE
request), the stage's own call gives the acts and their first chapters (part 0), and each act is
then extended a batch at a time (parts 1, 2, ...) until it has its share of the book. The parts
are saved as they arrive, so a failure resumes at the first missing part; the same parts always
give the same plan (a batch's place depends only on the parts before it).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infinite_scribe.domain.proposals import MAX_OUTLINE_CHAPTERS

#: Chapters one model reply is asked for (the single call's bound per act).
BATCH = 30
#: The chapter summaries before a batch that its prompt shows (where the story stands).
RECENT = 5


def wanted_chapters(preferences: Mapping[str, Any]) -> int | None:
    """The chapters the writer asked for when one reply cannot hold them (None: one call)."""
    value = preferences.get("chapters")
    if isinstance(value, bool) or not isinstance(value, int) or value <= BATCH:
        return None
    return min(value, MAX_OUTLINE_CHAPTERS)


@dataclass(frozen=True)
class Batch:
    """The next chapters to ask for: `count` chapters of act `act` (0-based), the first of
    them the book's chapter `first`."""

    act: int
    first: int
    count: int


@dataclass(frozen=True)
class BatchBrief:
    """What a batch's prompt says besides the stage's context: the acts (titles and summaries),
    the act being extended, and the summaries of the chapters just before the batch."""

    batch: Batch
    total: int
    acts: Sequence[Mapping[str, str]]
    recent: Sequence[Mapping[str, str]]


class OutlinePlan:
    """The outline as its parts arrive: the skeleton's acts, each grown to its share."""

    def __init__(self, skeleton: Mapping[str, Any], total: int) -> None:
        acts = [dict(act) for act in skeleton.get("acts") or [] if isinstance(act, Mapping)]
        if not acts:
            raise ValueError("the outline has no acts")
        self.skeleton = dict(skeleton)
        self.acts = [act | {"chapters": list(act.get("chapters") or [])[:BATCH]} for act in acts]
        self.total = total
        self.shares = shares([len(act["chapters"]) for act in self.acts], total)
        for act, share in zip(self.acts, self.shares, strict=True):
            del act["chapters"][share:]

    def next_batch(self) -> Batch | None:
        """The next part to ask for (None: every act has its share)."""
        first = 1
        for number, (act, share) in enumerate(zip(self.acts, self.shares, strict=True)):
            have = len(act["chapters"])
            if have < share:
                return Batch(number, first + have, min(BATCH, share - have))
            first += share
        return None

    def brief(self, batch: Batch) -> BatchBrief:
        acts = [{key: str(act.get(key, "")) for key in ("title", "summary")} for act in self.acts]
        done = [c for act in self.acts for c in act["chapters"]][: batch.first - 1]
        return BatchBrief(batch, self.total, acts, done[-RECENT:])

    def add(self, batch: Batch, chapters: Sequence[Mapping[str, Any]]) -> None:
        """A batch's reply: at most `batch.count` of its chapters are kept; none is an error
        (the plan would not move)."""
        if not chapters:
            raise ValueError("a batch of the outline came back empty")
        self.acts[batch.act]["chapters"].extend(dict(c) for c in chapters[: batch.count])

    @property
    def chapters(self) -> int:
        return sum(len(act["chapters"]) for act in self.acts)

    def outline(self) -> dict[str, Any]:
        return self.skeleton | {"acts": self.acts}


def shares(counts: Sequence[int], total: int) -> list[int]:
    """`total` chapters split between the acts in proportion to the chapters the skeleton gave
    each (at least one each: `total` is more than a batch, an outline has five acts at most),
    the rounding's remainder to the first acts."""
    weights = [max(1, count) for count in counts]
    split = [max(1, total * w // sum(weights)) for w in weights]
    for i in range(total - sum(split)):
        split[i % len(split)] += 1
    while sum(split) > total:  # the floor of one each can overshoot
        split[split.index(max(split))] -= 1
    return split
