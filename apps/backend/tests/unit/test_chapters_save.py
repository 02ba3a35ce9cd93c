"""What a novel's write touches (decision 5401): the chapters that differ between the states
before and after, whole, and those that went away; never a chapter neither state holds."""

import uuid

from infinite_scribe.application.chapter_commands import chapters_save
from infinite_scribe.domain.chapters import CONFIRMED, DRAFT_PROPOSED, NovelState, evolve

OUTLINE = ((1, "一", "s"), (2, "二", "s"), (3, "三", "s"))
DRAFTED = {"status": "DRAFTED", "text": "draft", "beats": ["b"]}


def test_a_draft_touches_its_own_chapter_only() -> None:
    before = NovelState(uuid.uuid4(), uuid.uuid4(), outline=OUTLINE, version=4)  # no chapter read
    after = evolve(before, DRAFT_PROPOSED, {"chapter": 2, "text": "new", "beats": ["x"]})
    save = chapters_save(before, after)
    assert save.changed == {"2": {"status": "DRAFTED", "text": "new", "beats": ["x"]}}
    assert (save.removed, save.old_version, save.state.version) == ((), 4, 5)


def test_a_confirmation_keeps_the_drafts_beats_and_touches_nothing_else() -> None:
    before = NovelState(
        uuid.uuid4(), uuid.uuid4(), outline=OUTLINE, chapters={"1": DRAFTED}, version=4
    )
    after = evolve(before, CONFIRMED, {"chapter": 1, "text": "edited"})
    save = chapters_save(before, after)
    assert save.changed == {"1": {"status": "CONFIRMED", "text": "edited", "beats": ["b"]}}
    assert save.removed == ()


def test_an_unchanged_state_touches_nothing_and_a_gone_chapter_is_removed() -> None:
    before = NovelState(
        uuid.uuid4(), uuid.uuid4(), outline=OUTLINE, chapters={"1": DRAFTED, "3": DRAFTED}
    )
    assert chapters_save(before, before).changed == {}
    gone = chapters_save(
        before, NovelState(before.novel_id, before.user_id, chapters={"1": DRAFTED})
    )
    assert (gone.changed, gone.removed) == ({}, (3,))
