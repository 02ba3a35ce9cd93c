# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""What a Chinese hero searches for (issue 76, second walk): a search said after where
(在九龙城寨追查父亲失踪的真相) turns on what is searched for (父亲失踪), and a core never ends in
the truth or the secret of it, which the stages say themselves (查明……的真相)."""

import re

from infinite_scribe.text.vocabulary import alternation

_SEARCHES = f"{alternation('zh', 'search_verbs')}|{alternation('zh', 'reveal_verbs')}"
_WHERE_SEARCH = re.compile(f"^[在于][^，,。]{{1,10}}?(?:{_SEARCHES})(?P<sought>[^，,。；;]+)")
_TRUTH = re.compile(f"的(?:{alternation('zh', 'truths')})$")


def searched(event: str) -> str | None:
    """What a search after where is for (在旧档案馆里调查一桩悬案: 一桩悬案), or None."""
    match = _WHERE_SEARCH.match(event)
    return bare(match.group("sought")) if match else None


def bare(core: str) -> str:
    """The core without the truth of it (货车失踪案的真相: 货车失踪案)."""
    return _TRUTH.sub("", core) or core
