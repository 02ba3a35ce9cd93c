"""The continuity check (issue 48), pure: a chapter's facts against the memory of the chapters
before it, as findings with their evidence; and the memory as the API shows it.

Kinds: `dead_character_acts` (a character dead before this chapter acts in it),
`trait_changed` (hair, eyes, height, profession or a relation said otherwise than before; an
age said below every age the one before allows: ages are ranges, "in her thirties"; a scarred
part said unmarked, a lost limb used),
`repetition` (a passage of 50+ characters the chapter repeats, from an earlier chapter or from
itself), `thread_overdue` (a setup 3 chapters past its due chapter). A finding's id
is derived from what it is about, so a chapter checked again finds the same finding (its
status kept) and a finding no longer found is resolved.
"""

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID, uuid5

from infinite_scribe.domain.passages import MIN_PASSAGE, Passage, Stretches, folded
from infinite_scribe.domain.story_memory import Memory, established, latest_before
from infinite_scribe.domain.trait_change import changed

DEAD_ACTS, TRAIT_CHANGED, REPETITION, THREAD_OVERDUE = (
    "dead_character_acts",
    "trait_changed",
    "repetition",
    "thread_overdue",
)
KINDS = (DEAD_ACTS, TRAIT_CHANGED, REPETITION, THREAD_OVERDUE)
OPEN, WAIVED, RESOLVED = "open", "waived", "resolved"
#: A thread is overdue this many chapters past its due chapter.
OVERDUE_AFTER = 3
MAX_FINDINGS_PER_CHAPTER = 20
#: A repeated passage's quote at most (characters): its start, still an exact quote.
MAX_QUOTE = 500
_NAMESPACE = UUID("6f1c1a3e-48a0-4c1b-9a57-0c0b1e9d4830")

Finding = dict[str, Any]


def finding_id(novel_id: UUID, kind: str, chapter: int | None, key: str) -> str:
    return str(uuid5(_NAMESPACE, f"{novel_id}|{kind}|{chapter}|{key}"))


def _evidence(fact: Mapping[str, Any]) -> dict[str, Any]:
    return {"chapter": fact["chapter"], "event_id": fact.get("event_id"), "quote": fact["quote"]}


def _finding(
    novel_id: UUID, kind: str, where: tuple[int, str | None], quote: str, key: str, **about: Any
) -> Finding:
    chapter, event_id = where
    found = {"id": finding_id(novel_id, kind, chapter, key), "kind": kind, "chapter": chapter}
    return found | {"event_id": event_id, "quote": quote} | about


def _dead_acts(
    novel_id: UUID,
    memory: Memory,
    where: tuple[int, str | None],
    facts: Sequence[Mapping[str, Any]],
) -> list[Finding]:
    alive_now = {f["who"] for f in facts if f["kind"] == "status" and f["value"] == "alive"}
    found: dict[str, Finding] = {}
    for fact in facts:
        if fact["kind"] != "act" or fact["who"] in alive_now or fact["who"] in found:
            continue
        who = str(fact["who"])
        status = latest_before(memory, who, where[0], "status")
        if status is not None and status["value"] == "dead":
            evidence = [_evidence(status)]
            found[who] = _finding(
                novel_id, DEAD_ACTS, where, fact["quote"], who, who=who, evidence=evidence
            )
    return list(found.values())


def _traits(
    novel_id: UUID,
    memory: Memory,
    where: tuple[int, str | None],
    facts: Sequence[Mapping[str, Any]],
) -> list[Finding]:
    found: dict[tuple[str, str], Finding] = {}
    # A chapter that says the trait changed ("she dyed it", 染: facts marked `change`)
    # contradicts nothing by it.
    said_changed = {(f["who"], f["attribute"]) for f in facts if f.get("change")}
    for fact in facts:
        pair = (fact.get("who"), fact.get("attribute"))
        if fact["kind"] != "trait" or pair in found or pair in said_changed:
            continue
        who, attribute, value = fact["who"], fact["attribute"], fact["value"]
        earlier = latest_before(memory, who, where[0], "trait", attribute)
        if earlier is None or not changed(earlier, fact, attribute):
            continue
        key = f"{who}|{attribute}|{value}"
        found[(who, attribute)] = _finding(
            novel_id, TRAIT_CHANGED, where, fact["quote"], key, who=who, attribute=attribute,
            value=value, was=earlier["value"], evidence=[_evidence(earlier)],
        )  # fmt: skip
    return list(found.values())


#: Findings shown first to last: contradictions of life and death, of traits, of time, then
#: what the book forgot, then what it repeats.
RANKS = {DEAD_ACTS: 0, TRAIT_CHANGED: 1, "timeline": 2, THREAD_OVERDUE: 3, REPETITION: 4}


def rank(finding: Mapping[str, Any]) -> int:
    return RANKS.get(str(finding.get("kind")), len(RANKS))


def ranked(found: Iterable[Finding]) -> list[Finding]:
    """`found` in the order a writer reads them (stable within a kind)."""
    return sorted(found, key=rank)


_ENDS = ".!?\u3002\uff01\uff1f\u2026"
_CLOSERS = "\"'\u201d\u2019\u300d\u300f)\uff09"


def _wordy(char: str) -> bool:
    """A letter of a spaced script (a CJK character is a word boundary on either side)."""
    return char.isalnum() and ord(char) < 0x2E80


def _sentence_start(flat: str, at: int) -> bool:
    """Whether a sentence begins at `at` (a few spaces and closing quotes looked past)."""
    if flat[at].isspace() or flat[at] in _CLOSERS:
        return False
    i = at - 1
    while i >= max(0, at - 4) and (flat[i].isspace() or flat[i] in _CLOSERS):
        i -= 1
    return i < 0 or flat[i] in _ENDS


def _snapped(flat: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) moved inwards onto sentence boundaries when a sentence of the passage is
    long enough to show, else onto word boundaries: a quote never begins or ends mid-word."""
    first = next((i for i in range(start, end) if _sentence_start(flat, i)), None)
    last = next(
        (i for i in range(end, start, -1) if flat[i - 1] in _ENDS + _CLOSERS and
         (i == len(flat) or flat[i] not in _CLOSERS)),
        None,
    )  # fmt: skip
    if first is not None and last is not None and last - first >= MIN_PASSAGE // 2:
        return first, last
    while start < end and start > 0 and _wordy(flat[start - 1]) and _wordy(flat[start]):
        start += 1
    while end > start and end < len(flat) and _wordy(flat[end - 1]) and _wordy(flat[end]):
        end -= 1
    return start, end


def quoted(text: str, quote: str, limit: int = MAX_QUOTE, flat: str | None = None) -> str:
    """`quote` (a passage of `text`, folded) cut on sentence or word boundaries, at most
    `limit` characters: still an exact quote of the text (`flat`: `text` folded already)."""
    flat = folded(text) if flat is None else flat
    at = flat.find(quote)
    if at < 0:
        return quote[:limit]
    start, end = _snapped(flat, at, at + min(len(quote), limit))
    shown = flat[start:end].strip()
    return shown if shown else quote[:limit]


def repetitions(
    novel_id: UUID,
    where: tuple[int, str | None],
    repeats: Iterable[tuple[str, int, str | None]],
    text: str | None = None,
) -> list[Finding]:
    """Findings for passages (quote, the chapter it repeats, that chapter's event id): one
    per passage and chapter pair, never the chapter itself, quoted on word or sentence
    boundaries (`text`: the chapter, to find them)."""
    found: dict[str, Finding] = {}  # by id: a passage said twice is one finding
    # Folded once: per passage it cost the whole chapter again (issue 79 P6: 1,100 passages of
    # a 20,000-character chapter took 9 s).
    flat = None if text is None else folded(text)
    for quote, chapter, event_id in repeats:
        if chapter == where[0]:
            continue
        shown = quote[:MAX_QUOTE] if text is None else quoted(text, quote, flat=flat)
        key = f"{chapter}|{hashlib.sha1(folded(shown).lower().encode()).hexdigest()[:16]}"
        evidence = [{"chapter": chapter, "event_id": event_id, "quote": shown}]
        finding = _finding(
            novel_id, REPETITION, where, shown, key, evidence=evidence, length=len(quote)
        )
        found.setdefault(finding["id"], finding)
    return list(found.values())[:MAX_FINDINGS_PER_CHAPTER]


def repeated(
    novel_id: UUID,
    where: tuple[int, str],
    repeats: Iterable[tuple[Passage, int, str]],
    text: str,
) -> list[Finding]:
    """The findings of the passages a chapter repeats (passage, the chapter it repeats, that
    chapter's event id). CPU work, thousands of passages in a chapter of shuffled blocks: the
    check runs it off the loop (issue 79 P6: the loop's watchdog named it)."""
    return repetitions(novel_id, where, earliest(repeats), text)


def earliest(repeats: Iterable[tuple[Passage, int, str]]) -> list[tuple[str, int, str]]:
    """One passage per stretch of the chapter: the earliest chapter it repeats is the evidence
    (a passage also in chapters 1 and 3 cites chapter 1). Each passage is compared with the
    kept ones it can overlap only (`Stretches`), not with all of them (issue 71)."""
    kept: list[tuple[str, int, str]] = []
    stretches = Stretches()
    for passage, chapter, event_id in sorted(repeats, key=lambda r: (r[1], r[0].start)):
        if stretches.add(passage):
            kept.append((passage.quote, chapter, event_id))
    return kept


def overdue(novel_id: UUID, memory: Memory, where: tuple[int, str | None]) -> list[Finding]:
    """The setups not paid off 3 chapters past their due chapter, as of this chapter (one
    finding per thread, whichever chapter noticed it)."""
    found = []
    for tid, thread in memory["threads"].items():
        due = int(thread["due_chapter"])
        if thread.get("flagged") or thread["resolved_chapter"] is not None:
            continue  # said once (its finding stays open until paid off), or paid off
        if where[0] >= due + OVERDUE_AFTER:
            found.append(
                {
                    "id": finding_id(novel_id, THREAD_OVERDUE, None, tid),
                    "kind": THREAD_OVERDUE,
                    "chapter": where[0],
                    "event_id": where[1],
                    "quote": thread["text"],
                    "thread": tid,
                    "evidence": list(thread["evidence"]),
                }
            )
    return found


def flag_overdue(memory: Memory, found: Iterable[Finding]) -> None:
    """Mark the threads `found` says are overdue: a later check does not say it again (the
    finding stays open until the thread is paid off or gone)."""
    for finding in found:
        thread = (
            memory["threads"].get(finding.get("thread"))
            if finding["kind"] == THREAD_OVERDUE
            else None
        )
        if thread is not None:
            thread["flagged"] = True


def check(
    novel_id: UUID, before: Memory, where: tuple[int, str | None], read: Mapping[str, Any]
) -> list[Finding]:
    """The findings of a chapter (number, event id) read as `read`, against `before` (the
    memory without this chapter); repetition and overdue threads are added by the caller."""
    facts = read.get("facts", ())
    found = _dead_acts(novel_id, before, where, facts) + _traits(novel_id, before, where, facts)
    return found[:MAX_FINDINGS_PER_CHAPTER]


def resolved(
    open_findings: Iterable[Finding],
    chapter: int,
    found_ids: set[str],
    text: str | None,
    memory: Memory,
) -> list[str]:
    """The open findings a new version of `chapter` (None text: it is no longer confirmed)
    settles: its own that are not found again, those whose evidence it no longer says, and
    overdue threads paid off or gone."""
    flat = None if text is None else folded(text)
    settled = []
    for finding in open_findings:
        if finding["id"] in found_ids:
            continue
        if finding["kind"] == THREAD_OVERDUE:
            thread = memory["threads"].get(finding.get("thread"))
            if thread is None or thread["resolved_chapter"] is not None:
                settled.append(finding["id"])
        elif finding["chapter"] == chapter or any(
            e["chapter"] == chapter and (flat is None or folded(e["quote"]) not in flat)
            for e in finding["evidence"]
        ):
            settled.append(finding["id"])
    return settled


#: Characters (and their facts) a model is shown with a chapter.
REVIEW_CHARACTERS = 12


def review_facts(before: Memory, chapter: int, names: Iterable[str]) -> list[dict[str, Any]]:
    """What a model checking `chapter` is shown: for each character the chapter names (at
    most REVIEW_CHARACTERS), the statuses and traits said before it, each with its sentence."""
    shown = []
    for name in list(names)[:REVIEW_CHARACTERS]:
        card = before["characters"].get(name)
        if card is None:
            continue
        facts = [
            {k: f[k] for k in ("kind", "attribute", "value", "chapter", "quote") if k in f}
            for f in established(card["facts"])
            if f["chapter"] < chapter
        ]
        if facts:
            shown.append({"name": name, "aliases": list(card["aliases"]), "facts": facts})
    return shown


def _said(before: Memory, who: str, quote: str, chapter: int) -> dict[str, Any] | None:
    """The fact about `who` said before `chapter` whose sentence is `quote` (or holds it)."""
    card = before["characters"].get(who)
    wanted = folded(quote)
    if card is None or not wanted:
        return None
    for fact in card["facts"]:
        said = folded(fact["quote"])
        if fact["chapter"] < chapter and (wanted in said or said in wanted):
            return dict(fact)
    return None


def with_model(rules: list[Finding], model: list[Finding]) -> list[Finding]:
    """The rules' findings of a chapter, and the model's (each with its proof) about what the
    rules did not find: a character and a kind (and a trait's attribute) the rules said
    nothing of. The rules read only the phrasings their words hold, a model can read any, and
    a small model reads little: together neither's miss hides the other's finding."""
    said = {(f["kind"], f.get("who"), f.get("attribute")) for f in rules}
    more = [f for f in model if (f["kind"], f.get("who"), f.get("attribute")) not in said]
    return (rules + more)[:MAX_FINDINGS_PER_CHAPTER]


def from_model(
    novel_id: UUID,
    before: Memory,
    where: tuple[int, str | None],
    said: Iterable[Mapping[str, Any]],
    text: str,
) -> list[Finding]:
    """A model's findings of a chapter, kept only with their proof: the quote is in the
    chapter and the evidence is a sentence the memory holds about that character."""
    flat = folded(text)
    found: dict[str, Finding] = {}
    for item in said:
        kind, quote = item.get("kind"), str(item.get("quote") or "").strip()
        if kind not in (DEAD_ACTS, TRAIT_CHANGED) or not quote or folded(quote) not in flat:
            continue
        who = str(item.get("who") or "")
        evidence = _said(before, who, str(item.get("evidence_quote") or ""), where[0])
        if evidence is None:
            continue
        about: dict[str, Any] = {"who": who, "evidence": [_evidence(evidence)]}
        if kind == TRAIT_CHANGED:
            about["attribute"] = str(item.get("attribute") or evidence.get("attribute"))
        key = f"{who}|{about.get('attribute')}|{hashlib.sha1(quote.encode()).hexdigest()[:16]}"
        finding = _finding(novel_id, str(kind), where, quote, key, **about)
        found.setdefault(finding["id"], finding)
    return list(found.values())[:MAX_FINDINGS_PER_CHAPTER]
