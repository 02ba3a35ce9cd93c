"""A novel's rollback (issue 56): a chapter's version restores that chapter only; the whole
novel goes back only with `scope: "novel"`."""

import uuid

import pytest
from pydantic import ValidationError

from infinite_scribe.domain.chapter_commands import NOVEL_PAYLOAD_MODELS
from infinite_scribe.domain.chapters import (
    ROLLED_BACK,
    ChaptersVersion,
    NovelState,
    decide,
    evolve,
)
from infinite_scribe.domain.errors import InvalidVersion

OUTLINE = ((1, "一", "来信"), (2, "二", "寻人"), (3, "三", "归来"))
EDITED_ONE = {"status": "CONFIRMED", "text": "第一章(作者改过)", "beats": ["b"]}
CONFIRMED_TWO = {"status": "CONFIRMED", "text": "第二章", "beats": ["b"]}
THREE_NOW = {"status": "DRAFTED", "text": "第三章 新稿", "beats": ["b"]}
THREE_THEN = {"status": "DRAFTED", "text": "第三章 初稿", "beats": ["b"]}


def _state() -> NovelState:
    chapters = {"1": EDITED_ONE, "2": CONFIRMED_TWO, "3": THREE_NOW}
    return NovelState(uuid.uuid4(), uuid.uuid4(), outline=OUTLINE, chapters=chapters, version=9)


def _rollback(target: ChaptersVersion, **payload: object) -> object:
    model = NOVEL_PAYLOAD_MODELS["RollbackToVersion"]
    return model.model_validate({"event_id": str(target.event_id), **payload}).resolved(target)


# Right after chapter 3's first draft, chapters 1 and 2 were drafts only.
THEN = ChaptersVersion(
    uuid.uuid4(),
    3,
    {
        "1": {"status": "DRAFTED", "text": "旧", "beats": []},
        "2": {"status": "DRAFTED", "text": "旧二", "beats": []},
        "3": THREE_THEN,
    },
)


def test_a_chapters_version_restores_that_chapter_and_keeps_the_others_edits() -> None:
    state = _state()
    [event] = decide(state, _rollback(THEN))
    assert event.event_type == ROLLED_BACK
    assert event.payload["scope"] == "chapter"
    assert event.payload["chapters"] == {"3": THREE_THEN} and event.payload["removed"] == []
    after = evolve(state, event.event_type, event.payload)
    assert after.chapters == {"1": EDITED_ONE, "2": CONFIRMED_TWO, "3": THREE_THEN}


def test_scope_novel_puts_every_chapter_back_an_event_per_chapter() -> None:
    """Decision 5405: each event is one chapter's size and is named by its chapter."""
    state = _state()
    events = decide(state, _rollback(THEN, scope="novel"))
    assert [e.payload["chapter"] for e in events] == [1, 2, 3]
    for event in events:
        assert list(event.payload["chapters"]) == [str(event.payload["chapter"])]
        assert event.payload["per_chapter"] is True and event.payload["scope"] == "novel"
        assert event.payload["to_event_id"] == str(THEN.event_id)
        state = evolve(state, event.event_type, event.payload)
    assert dict(state.chapters) == dict(THEN.chapters)


def test_a_chapter_with_no_text_then_is_removed_only_in_its_own_scope() -> None:
    before_three = ChaptersVersion(uuid.uuid4(), 3, {"1": EDITED_ONE})
    state = _state()
    [event] = decide(state, _rollback(before_three))
    assert event.payload["removed"] == ["3"] and event.payload["chapters"] == {}
    assert set(evolve(state, event.event_type, event.payload).chapters) == {"1", "2"}


def test_a_version_of_no_chapter_is_the_novels_and_refuses_chapter_scope() -> None:
    whole = ChaptersVersion(uuid.uuid4(), None, {"1": EDITED_ONE})
    events = decide(_state(), _rollback(whole))
    assert [(e.payload["chapter"], e.payload["removed"]) for e in events] == [
        (2, ["2"]),
        (3, ["3"]),
    ]
    assert all(e.payload["scope"] == "novel" and not e.payload["chapters"] for e in events)
    unchanged = decide(_state(), _rollback(ChaptersVersion(uuid.uuid4(), None, _state().chapters)))
    assert [e.payload["chapters"] for e in unchanged] == [{}]  # recorded, though nothing moved
    assert unchanged[0].payload["per_chapter"] is True  # never read beside other chapters
    with pytest.raises(InvalidVersion):
        decide(_state(), _rollback(whole, scope="chapter"))


def test_an_unknown_scope_is_refused_at_validation() -> None:
    with pytest.raises(ValidationError):
        NOVEL_PAYLOAD_MODELS["RollbackToVersion"].model_validate(
            {"event_id": str(uuid.uuid4()), "scope": "book"}
        )
