# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The ideas the codex tests read (issue 76): a hero, a place, a deadline, a rival by a word
that marks them and a place the rival only comes from, in English and in Chinese; and the
hand walk of issue 76's defects (TRAIN: a festival of three words, kin named by one word;
GLASS: a festival "of" its saint, a hero's role with its place in apposition)."""

from typing import Any

from infinite_scribe.text.codex_reading import read_codex

IDEA = (
    "Isobel Reid, a pawnbroker's apprentice in Edinburgh, must find the stolen ledger before "
    "Hogmanay; her nemesis, Mr Dunbar from Glasgow, wants it too."
)
IDEA_ZH = (
    "民国二十三年的苏州，女法医沈清秋在观前街的老宅里发现一具尸体，"
    "她必须在中秋节前找到凶手，宿敌是上海来的古董商白三爷。"
)
TRAIN = (
    "Tomas Ferreira, a night-train conductor out of Lisbon, must deliver a sealed letter before "
    "All Saints Day; his rival, Vera Kask, wants it burned, and his aunt Rosa from Porto keeps "
    "the key"
)
GLASS = (
    "Odile Marchetti, a glassblower in Murano, has until the Feast of the Redeemer to repair a "
    "cracked chandelier for the Doge's palace; her rival, Bastien Vogl, bribes the furnace "
    "keepers, and her cousin Livio from Trieste hides the last good cane of ruby glass"
)


def people_by_role(idea: str) -> dict[str, Any]:
    """The codex's people of `idea` that have a role, by role (hero, rival)."""
    entries = read_codex(idea).as_json()["entries"]
    return {e["role"]: e for e in entries if e["kind"] == "person" and e["role"]}


def named_as_expected(
    idea: str, hero: str, role: list[str], rival: str | None, places: list[str], times: list[str]
) -> dict[str, bool]:
    """Which of a walked idea's expectations, written before the readers were read, its codex
    meets: the hero's name and role words, the rival, the places and the times."""
    entries = read_codex(idea).as_json()["entries"]
    found = next((e for e in entries if e["role"] == "hero"), None)
    opposed = next((e for e in entries if e["role"] == "rival"), None)
    words = " ".join(found["words"]).lower() if found else ""
    kinds = {kind: [e["name"] for e in entries if e["kind"] == kind] for kind in ("place", "time")}
    return {
        "hero": found is not None and found["name"] == hero,
        "role": all(word in words for word in role),
        "rival": (opposed["name"] if opposed else None) == rival,
        "places": all(any(p in place for place in kinds["place"]) for p in places),
        "times": all(any(t in time for time in kinds["time"]) for t in times),
    }
