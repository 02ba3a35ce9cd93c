"""A character renamed in a confirmed card is renamed in the texts that still say the old
name (issue 38): pure, used when a stage is confirmed."""

from collections.abc import Mapping
from typing import Any


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
