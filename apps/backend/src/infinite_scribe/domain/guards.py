"""The checks a session's and a novel's `decide` both make: the version a command expects,
and no other command of the aggregate still pending."""

from typing import Any

from infinite_scribe.domain.errors import InvalidState, VersionConflict


def require_version(command: Any, version: int, aggregate: str) -> None:
    """VersionConflict (409) when the command names a version the aggregate is not at."""
    expected = getattr(command, "expected_version", None)
    if expected is not None and expected != version:
        raise VersionConflict(
            f"The {aggregate} is at version {version}, not {expected}: read it again",
            version=version,
        )


def require_not_busy(pending_command_type: str | None, command_type: str) -> None:
    # The same type pending is the inbox's partial unique index's case (DUPLICATE_COMMAND);
    # another one pending: the agents are busy with something else of this aggregate.
    if pending_command_type not in (None, command_type):
        raise InvalidState(f"{pending_command_type} is still being processed")
