"""Event naming: `<Domain>.<AggregateRoot>[.<SubAggregate>].<ActionInPastTense>`, with the last
segment ending in a verb of the controlled vocabulary (docs/command-api.md)."""

import re

from infinite_scribe.domain.errors import InvalidEventName

PAST_TENSE_VERBS = (
    "Requested",
    "Created",
    "Proposed",
    "Submitted",
    "Confirmed",
    "Updated",
    "Revised",
    "Completed",
    "Finished",
    "Failed",
    # lifecycle extension
    "Abandoned",
    "Trashed",
    "Restored",
    "Purged",
    # flow extension (issue 11, docs/flows.md): a flow waits for the writer and goes on
    "Paused",
    "Resumed",
    "Expired",
    # history extension (issue 37, docs/decisions/3000-history-rollback-branch.md): a session
    # goes back to one of its versions, or a new session starts from one
    "RolledBack",
    "Branched",
    # cancel extension (issue 38, decision 4003): the writer stopped a running generation
    "Cancelled",
    # continuity extension (issue 48, decision 4800): the story memory is seeded from the
    # bible, each confirmed chapter is checked, and the writer waives a finding
    "Seeded",
    "Checked",
    "Waived",
    # archive extension (issue 51, decision 5101): a session's streams move to the archived
    # partition, and back when a writer returns
    "Archived",
    "Unarchived",
)

_SEGMENT = r"[A-Z][A-Za-z0-9]*"
_NAME = re.compile(rf"^{_SEGMENT}(\.{_SEGMENT}){{2,3}}$")
_VERSION_SUFFIX = re.compile(r"(?i)(^|\.)v\d+$|V\d+$")


def validate_event_name(name: str) -> str:
    """Return `name` if it follows the convention, else raise InvalidEventName."""
    if not _NAME.match(name):
        raise InvalidEventName(
            f"Event name {name!r} must look like Domain.Aggregate[.Sub].ActionInPastTense"
        )
    action = name.rsplit(".", 1)[1]
    if _VERSION_SUFFIX.search(action):
        raise InvalidEventName(f"Event name {name!r} carries a version; bump event_version")
    if not action.endswith(PAST_TENSE_VERBS):
        raise InvalidEventName(
            f"Event name {name!r} must end with one of: {', '.join(PAST_TENSE_VERBS)}"
        )
    return name
