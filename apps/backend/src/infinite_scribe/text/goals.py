# ruff: noqa: RUF001 - Chinese punctuation on purpose
"""What the hero sets out to do, as the idea says it right after them: the event without the
modal it opens with, up to the end of its clause (要在冬至前赎回玉镯: 在冬至前赎回玉镯; "must find
the ledger before the feast, but ...": "find the ledger before the feast"). An event that opens
with no modal (a discovery: 发现……, "discovers ...") has no goal read: when unsure, none."""

import re

from infinite_scribe.text import vocabulary

#: A modal or a word of purpose opens what the hero sets out to do (要……, 为了给父亲洗冤).
_ZH_MODALS = tuple(vocabulary.longest_first(vocabulary.words("zh", "modals", "purposes")))
_EN_MODALS = tuple(f"{modal} " for modal in vocabulary.phrases("en", "task_modals"))
_CLAUSE_END = re.compile("[，,；;：:。.!?！？]")


def goal(event: str, chinese: bool) -> str | None:
    """The hero's goal in `event` (what happens, from the hero on), or None."""
    if chinese:
        modal = next((m for m in _ZH_MODALS if event.startswith(m)), "")
    else:
        modal = next((m for m in _EN_MODALS if event.lower().startswith(m)), "")
    said = _CLAUSE_END.split(event[len(modal) :])[0].strip() if modal else ""
    return said if len(said) >= (2 if chinese else 4) else None
