"""A rename confirmed with EditCodex renames the proposal's fields but not its revision note:
the note says what the revision did ("rename "Silas Quint" to "Edwin Marsh""), which the walk of
stop 87 found turned into "rename "Edwin Marsh" to "Edwin Marsh"" once the edit was made."""

from infinite_scribe.domain.codex_edits import codex_fields

NOTE = 'Offered for you to confirm, as the codex is yours: rename "Silas Quint" to "Edwin Marsh".'


def test_a_rename_leaves_the_revision_note_as_it_was_and_renames_the_rest() -> None:
    last = {"revision_note": NOTE, "characters": [{"name": "Silas Quint", "role": "antagonist"}]}
    fields = codex_fields({"renames": {"Silas Quint": "Edwin Marsh"}}, {}, last)
    assert fields["last_result"]["revision_note"] == NOTE
    assert fields["last_result"]["characters"][0]["name"] == "Edwin Marsh"
