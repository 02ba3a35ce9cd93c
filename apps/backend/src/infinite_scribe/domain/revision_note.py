# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""A revision's note (issues 55 and 76), computed from the diff of the two versions, by this
one function for every generator (the offline writer and a model alike): what changed, in the
writer's language, and what was asked but not applied. Never what a reader believed: an asked
change is reported made only when the new version shows its value where the old did not, and
every other change the diff holds is named too (a shortened premise, a removed card)."""

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from infinite_scribe.domain.diff import ABOUT, changes

_MAX_NOTE = 1000
#: Changed fields named at most; the rest are counted.
_MAX_NAMED = 8
#: The parts an asked value may be shown in, each where it belongs ("巡捕房的副探长顾远山": a name
#: on the card, the role in its description).
_PARTS = re.compile("[\uff0c,]|的(?=副|正)|(?<=长)(?=\\w)")
_SAID: dict[str, dict[str, Any]] = {
    "en": {
        "made": "Revised as asked: {items}.",
        "other": "Also changed: {items}.",
        "changed": "Changed: {items}.",
        "unmade": "Not shown in this draft: {items}.",
        "kept": "Already so: {items}.",
        "same": (
            "I could not tell what to change from this feedback, so this draft does not apply "
            'it: "{feedback}". Say it another way, or edit the text yourself.'
        ),
        "offered": "Offered for you to confirm, as the codex is yours: {items}.",
        "rename": 'rename "{name}" to "{to}"',
        "role": '"{name}" as the {role}',
        "roles": {"hero": "hero", "rival": "rival"},
        "more": "{count} more",
        "shorter": "{path} (shortened)",
        "added": "{path} (added)",
        "removed": "{path} (removed)",
        "renamed": '{path} ("{before}" to "{after}")',
        "separator": "; ",
        "joiner": " ",
    },
    "zh": {
        "made": "已按反馈修改：{items}。",
        "other": "另外改动了：{items}。",
        "changed": "改动了：{items}。",
        "unmade": "这一稿没有体现：{items}。",
        "kept": "已经如此：{items}。",
        "same": (
            "没能从这条反馈里看出要改什么，这一稿没有按它修改：“{feedback}”。"
            "请换个说法，或直接编辑。"
        ),
        "offered": "已作为设定修改提出，等你确认：{items}。",
        "rename": "把“{name}”改名为“{to}”",
        "role": "“{name}”为{role}",
        "roles": {"hero": "主角", "rival": "对手"},
        "more": "另有{count}处",
        "shorter": "{path}（缩短）",
        "added": "{path}（新增）",
        "removed": "{path}（删除）",
        "renamed": "{path}（“{before}”改为“{after}”）",
        "separator": "；",
        "joiner": "",
    },
}


def revision_note(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    language: str,
    feedback: str | None,
    asked: Sequence[tuple[str, str]] = (),
    offered: Sequence[Mapping[str, str]] = (),
    unread: bool = False,
) -> str | None:
    """The note of a revision (None for a first draft): `asked` holds (value, sentence in the
    writer's language) for each change the feedback asked for (a structured edit's, or what
    the offline reader read), each said made only when the diff shows it; `offered`, the codex
    edits the feedback asked for, which no draft makes (the writer confirms them); `unread`,
    that the reader read nothing in this feedback, whatever the earlier ones asked."""
    if feedback is None or before is None:
        return None
    said = _SAID["zh" if language == "zh" else "en"]
    found = changes(before, after)
    made, kept, unmade = _sorted_asks(asked, offered, found, before, after)
    explained = [c for c in found if any(v.lower() in _text([c["after"]]) for v, _ in made)]
    other = _capped([_change(c, said) for c in found if c not in explained], said)
    parts = [
        *_listed(said, "made", [s for _, s in made]),
        *_listed(said, "other" if made else "changed", other),
        *_listed(said, "kept", [s for _, s in kept]),
        *_listed(said, "offered", [_offer(edit, said) for edit in offered]),
    ]
    parts += [] if not found and not asked and not offered else _listed(said, "unmade", unmade)
    if unread or not (found or asked or offered):
        parts.append(said["same"].format(feedback=feedback[:200]))
    return said["joiner"].join(parts)[:_MAX_NOTE]


def _sorted_asks(
    asked: Sequence[tuple[str, str]],
    offered: Sequence[Mapping[str, str]],
    found: Sequence[Mapping[str, Any]],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """The asks the diff `found` shows made, those both versions already showed (kept), and
    the sentences of the rest (unmade)."""
    new = _text([change["after"] for change in found])
    old = _text([change["before"] for change in found])
    made = [(v, s) for v, s in asked if _shown(v.lower(), new, old)]
    # What an earlier feedback asked and the version before already showed is kept, not "not
    # shown" (a feedback's asks accumulate: the hand walk's second note said the first unmade).
    kept = _kept([ask for ask in asked if ask not in made], before, after)
    # An ask the codex decides is offered, not "not shown" (the draft keeps the codex's names).
    offers = {edit.get("to", edit["name"]).lower() for edit in offered}
    unmade = [
        s for v, s in asked if (v, s) not in made and (v, s) not in kept and v.lower() not in offers
    ]
    return made, kept, unmade


def _listed(said: Mapping[str, Any], key: str, items: Sequence[str]) -> list[str]:
    """The sentence `key` listing `items`, or none when there are none."""
    return [said[key].format(items=said["separator"].join(items))] if items else []


def _capped(items: list[str], said: Mapping[str, Any]) -> list[str]:
    """The first `_MAX_NAMED` items, the rest counted."""
    more = len(items) - _MAX_NAMED
    return items[:_MAX_NAMED] + ([said["more"].format(count=more)] if more > 0 else [])


def _offer(edit: Mapping[str, str], said: Mapping[str, Any]) -> str:
    """An offered codex edit as the writer reads it: a rename, or someone in a role."""
    if edit.get("op") == "rename":
        return str(said["rename"].format(name=edit["name"], to=edit["to"]))
    role = edit.get("role", "")
    return str(said["role"].format(name=edit["name"], role=said["roles"].get(role, role)))


def _kept(
    asked: Sequence[tuple[str, str]], before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """The asks both versions' content shows (not their notes or the feedback they took in,
    `diff.ABOUT`; each version's text read once, and only when asked)."""
    if not asked:
        return []
    was = _text([{k: v for k, v in before.items() if k not in ABOUT}])
    now = _text([{k: v for k, v in after.items() if k not in ABOUT}])
    return [(v, s) for v, s in asked if v.lower() in was and v.lower() in now]


def _shown(value: str, new: str, old: str) -> bool:
    """Whether the changed fields show `value` (or each of its parts) where they did not."""
    if new.count(value) > old.count(value):
        return True
    parts = [part for part in _PARTS.split(value) if part]
    return len(parts) > 1 and all(part in new for part in parts) and value not in old


def _text(values: list[Any]) -> str:
    return json.dumps(values, ensure_ascii=False, default=str).lower()


def _change(change: Mapping[str, Any], said: Mapping[str, str]) -> str:
    """One change as the writer reads it: the field, and how it changed."""
    path, old, new = change["path"], change["before"], change["after"]
    if old is None:
        return said["added"].format(path=path)
    if new is None:
        return said["removed"].format(path=path)
    if isinstance(old, str) and isinstance(new, str):
        if len(old) <= 40 and len(new) <= 40:
            return said["renamed"].format(path=path, before=old, after=new)
        if len(new) < 0.8 * len(old):
            return said["shorter"].format(path=path)
    return str(path)
