"""A character renamed in a confirmed card is renamed in the texts that still say the old
name (issue 38), and a name the writer renamed in the codex everywhere (issue 76): pure."""

import re
from collections.abc import Mapping
from typing import Any

import orjson


def renamed(option: Mapping[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """`data` with a character the writer renamed (the card at the same place in `option`
    had another name) renamed in every text they did not edit themselves: descriptions,
    motivations, arcs and relationships (issue 38)."""
    before, after = option.get("characters"), data.get("characters")
    if not isinstance(before, list) or not isinstance(after, list):
        return data
    names = {
        old["name"]: new["name"]
        for old, new in zip(before, after, strict=False)
        if isinstance(old, Mapping)
        and isinstance(new, Mapping)
        and isinstance(old.get("name"), str)
        and isinstance(new.get("name"), str)
        and old["name"].strip()
        and new["name"].strip()
        and old["name"] != new["name"]
    }
    if not names:
        return data
    result: dict[str, Any] = _rename(option, data, names)
    return result


def _rename(option: Any, value: Any, names: Mapping[str, str]) -> Any:
    """`value` with `names` replaced in its texts that are as they were in `option`."""
    if isinstance(value, str):
        if value != option:
            return value  # the writer's own words
        for old, new in names.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, Mapping):
        fields = option if isinstance(option, Mapping) else {}
        return {
            key: item if key == "name" else _rename(fields.get(key), item, names)
            for key, item in value.items()
        }
    if isinstance(value, list):
        was = option if isinstance(option, list) else []
        return [
            _rename(was[i] if i < len(was) else None, item, names) for i, item in enumerate(value)
        ]
    return value


def renamed_everywhere(value: Any, renames: Mapping[str, str]) -> Any:
    """`value` (a stage's data, a proposal, a text) with every name of `renames` replaced by
    its new name in every text (a codex rename, issue 76). A name is replaced only as a whole
    word where its ends are Latin letters ("Ann" is not renamed inside "Annabel"); Chinese has
    no spaces, so a name in Han characters is replaced wherever it is written.

    One pass of one pattern over the value's JSON text (this runs in `evolve`, on the loop):
    the pattern opens with the names' letters so `re` skips to their first characters (one
    that opened with a look-behind was ~3.5x slower), and the check before a name is made on
    each match."""
    if not renames or value is None:
        return value
    escaped = {_escaped(old): _escaped(new) for old, new in renames.items()}
    pattern = _names_pattern(tuple(escaped))
    text = orjson.dumps(value).decode()

    def replaced(found: re.Match[str]) -> str:
        old, at = found.group(0), found.start()
        if at and _latin(old[:1]) and _latin(text[at - 1]):
            return old  # inside a longer word
        return escaped[old]

    return orjson.loads(pattern.sub(replaced, text))


def _escaped(name: str) -> str:
    """`name` as it is written inside a JSON string."""
    return orjson.dumps(name).decode()[1:-1]


#: A Latin letter or digit: a name that ends (or starts) with one is no part of a longer word.
_LATIN = "A-Za-z0-9\u00c0-\u024f"


def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first: "Ann Lee" is renamed before "Ann" is looked for.
    parts = [
        re.escape(name) + (f"(?![{_LATIN}])" if _latin(name[-1:]) else "")
        for name in sorted(names, key=len, reverse=True)
    ]
    return re.compile("|".join(parts))


def _latin(char: str) -> bool:
    return bool(char) and ((char.isascii() and char.isalnum()) or "\u00c0" <= char <= "\u024f")
