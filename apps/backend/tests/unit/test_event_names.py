"""Event names follow Domain.Aggregate[.Sub].ActionInPastTense with the controlled verbs."""

import pytest

from infinite_scribe.domain.errors import InvalidEventName
from infinite_scribe.domain.event_names import validate_event_name


@pytest.mark.parametrize(
    "name",
    [
        "Genesis.Session.Created",
        "Genesis.Session.ConceptGenerationRequested",
        "Genesis.Session.StageConfirmed",
        "Genesis.Session.Concept.Proposed",
        "Genesis.Session.Trashed",
        "Novel.Chapter.DraftRevised",
    ],
)
def test_valid_names(name: str) -> None:
    assert validate_event_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "Genesis.Session",  # no action
        "Session.Created",  # too short
        "genesis.session.created",  # not PascalCase
        "Genesis.Session.Create",  # not past tense
        "Genesis.Session.Deleted",  # not in the vocabulary
        "Genesis.Session.CreatedV2",  # versioned
        "Genesis.Session.A.B.Created",  # too deep
        "Genesis..Created",
        "",
    ],
)
def test_invalid_names(name: str) -> None:
    with pytest.raises(InvalidEventName):
        validate_event_name(name)
