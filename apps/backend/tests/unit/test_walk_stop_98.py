"""Stop 98's walk of English ideas of its own: the one who wants the hero harmed, in a clause
a conjunction opens ("but the police inspector Duarte Sousa wants her arrested"), is the rival,
described by what stands between the conjunction and the name. Each case failed before."""

import pytest

from infinite_scribe.text.codex_reading import read_codex


def _people(idea: str) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    return {e.name: (e.role, e.words) for e in read_codex(idea).entries if e.kind == "person"}


@pytest.mark.parametrize(
    ("idea", "rival", "described"),
    [
        (
            "In Lisbon, the archivist Rosa Lima hunts a stolen map, but the police inspector "
            "Duarte Sousa wants her arrested.",
            "Duarte Sousa",
            "police inspector",
        ),
        (
            "In 1923 Vienna, the piano tuner Greta Holm must find her brother before the opera "
            "season opens, while the impresario Karl Weiss wants him silenced.",
            "Karl Weiss",
            "impresario",
        ),
    ],
)
def test_one_who_wants_the_hero_harmed_is_the_rival(idea: str, rival: str, described: str) -> None:
    assert _people(idea)[rival] == ("rival", (described,))


def test_one_who_wants_someone_something_else_is_no_rival() -> None:
    people = _people("Mara Quill wants her brother home, but her aunt Edda wants him married.")
    assert people["Edda"][0] is None
