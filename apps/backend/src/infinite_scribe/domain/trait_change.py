"""Whether a trait said now contradicts the one established (issue 78): the value semantics of
each look (text/looks.py): ages as ranges going forward, a body part's scar or loss, a bald
head, a beard's colour apart from the hair's."""

from collections.abc import Mapping
from typing import Any

#: A head without hair (text/looks.py's hair value).
_BALD = "none"


def _ages(value: Any) -> tuple[int, int] | None:
    """An age as a range (lowest, highest): 34 or [30, 39] ("in her thirties")."""
    if isinstance(value, int):
        return value, value
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return value[0], value[1]
    return None


def changed(earlier: Mapping[str, Any], fact: Mapping[str, Any], attribute: str) -> bool:
    value = fact["value"]
    if attribute == "age":
        # Ages go forward: a contradiction when the age said now is below every age the
        # earlier one allows, or, said at the same time ("that same week"), years above.
        now, was = _ages(value), _ages(earlier["value"])
        if now is None or was is None:
            return False
        return now[1] < was[0] or (bool(fact.get("at_once")) and now[0] > was[1] + 1)
    if attribute in ("scar", "limb"):
        return _body(str(earlier["value"]), str(value), attribute)
    if _BALD in (earlier["value"], value):
        # Hair said after a bald head ("none"), of any colour or length; going bald is age.
        return bool(earlier["value"] == _BALD and value != _BALD)
    if _part(value) != _part(earlier["value"]):
        return False  # a beard's colour and the hair's ("beard:red", text/looks.py)
    return bool(value != earlier["value"])


#: A lost limb takes what it holds: a lost arm its hand, a lost leg its foot.
_WITHIN = {"arm": ("arm", "hand"), "leg": ("leg", "foot")}


def _body(was: str, now: str, attribute: str) -> bool:
    """A body part's state ("left arm:lost", text/looks.py) said again: a scar then the same
    part unmarked (a side unsaid is either), a limb lost then used (its side or both)."""
    (where_was, _, state_was), (where_now, _, state_now) = was.partition(":"), now.partition(":")
    side_was, _, part_was = where_was.rpartition(" ")
    side_now, _, part_now = where_now.rpartition(" ")
    if attribute == "scar":
        sides = side_was == side_now or not side_was or not side_now
        states = (state_was, state_now)
        if "only" in states and "unmarked" not in states:
            return part_was != part_now or not sides  # the only scar said somewhere else
        unmarked = state_was in ("scarred", "only") and state_now == "unmarked"
        return unmarked and part_was == part_now and sides
    within = part_now in _WITHIN.get(part_was, (part_was,))
    lost_used = (state_was, state_now) == ("lost", "used")
    return lost_used and within and side_now in (side_was, "both") and bool(side_was)


def _part(value: Any) -> str:
    return value.partition(":")[0] if isinstance(value, str) and ":" in value else ""
