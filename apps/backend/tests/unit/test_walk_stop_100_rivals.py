# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Stop 100: the rivals the corpus's ideas name that the codex did not mark. With the codex the
worker reads (bench/offline_quality.py now walks with it, as the worker does), a named person
the reader did not mark was a supporting card and the writer invented an antagonist beside
them: 6 Chinese and 3 English ideas of tests/data/offline_ideas.json. Each case failed before."""

import pytest

from infinite_scribe.text.codex_reading import read_codex


def _rival(idea: str) -> tuple[str, tuple[str, ...]] | None:
    rival = read_codex(idea).rival
    return (rival.name, rival.words) if rival is not None else None


@pytest.mark.parametrize(
    ("idea", "rival"),
    [
        # The one the hero must bring to justice: 真凶 marks them.
        ("巡捕房探长沈青在租界追查，必须在除夕前让真凶顾南站上法庭。", ("顾南", ())),
        # Who suspects, forbids, would snatch back or comes for the hero: harms.
        ("冰雕师傅孟冬在冰灯里看见一枚戒指，警察杜明怀疑他藏了赃物。", ("杜明", ("警察",))),
        ("工程师苏晚发现一封旧信，站长郑昊不许她再查。", ("郑昊", ("站长",))),
        ("快递员韩小川捡到一块会说话的芯片，黑帮老大马三爷要抢回它。", ("马三爷", ("黑帮老大",))),
        # Who would take what the hero found (想把它……).
        (
            "画工索安在壁画后面找到一卷经书，商队首领康大郎想把它带去长安。",
            ("康大郎", ("商队首领",)),
        ),
        # 义和团 is one word: the title keeps its 和.
        ("铁匠王铁山收留了一个洋孩子，义和团首领张德成找上门来。", ("张德成", ("义和团首领",))),
        # One who schemes against what the hero sets out to do (the final walk's).
        (
            "In 1889 Edinburgh, the bookbinder Elspeth Moray must restore a stolen psalter, while "
            "the antiquarian Magnus Rourke schemes to buy it.",
            ("Magnus Rourke", ("antiquarian",)),
        ),
        (
            "Priya Raman, a methane miner, finds a black box; the company man Viktor Hale wants it "
            "erased.",
            ("Viktor Hale", ("company man",)),
        ),
    ],
)
def test_the_rival_is_marked_by_kind(idea: str, rival: tuple[str, tuple[str, ...]]) -> None:
    assert _rival(idea) == rival


@pytest.mark.parametrize(
    "idea",
    [
        "女记者沈青怀疑报社被人收买，好友林舟陪她去查。",  # the hero suspects: no one harms her
        "Priya Raman finds a black box and wants it opened.",
    ],
)
def test_no_rival_where_no_one_else_harms(idea: str) -> None:
    assert _rival(idea) is None
