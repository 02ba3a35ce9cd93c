"""No alias from a title alone (issue 78): "Mr Dunbar" is not known as "Mr", so another "Mr"
of the chapter is not him; the name without its title is his alias."""

from infinite_scribe.agents.continuity.bible import read_bible
from infinite_scribe.domain.novel import NovelBible


def _aliases(*names: str) -> dict[str, set[str]]:
    cards = [{"name": name} for name in names]
    _, read = read_bible(NovelBible(title="x", characters={"characters": cards}))
    aliases: dict[str, set[str]] = {name: set() for name in names}
    for fact in read["facts"]:
        if fact["kind"] == "alias":
            aliases[fact["who"]].add(fact["alias"])
    return aliases


def test_a_title_alone_is_never_an_alias() -> None:
    aliases = _aliases("Mr Dunbar", "Dr John Watson", "Mara Quinn", "Sir Lady Ash")
    assert aliases == {
        "Mr Dunbar": {"Dunbar"},
        "Dr John Watson": {"John"},
        "Mara Quinn": {"Mara"},
        "Sir Lady Ash": {"Ash"},
    }


def test_a_name_that_is_a_title_alone_has_no_alias() -> None:
    assert _aliases("Mr.", "Mrs. Hale") == {"Mr.": set(), "Mrs. Hale": {"Hale"}}
