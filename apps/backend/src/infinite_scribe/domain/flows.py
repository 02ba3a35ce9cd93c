"""Pause and resume of a flow, pure: what a resume or a landing pause does to a resume handle.

A generation flow that needs the writer registers a handle (PENDING_PAUSE) in the transaction
of its proposal, and marks it PAUSED once it has stopped. The writer's reply resumes it. The
two can cross: a reply that comes while the handle is still PENDING_PAUSE is kept in
`resume_payload` and the landing pause consumes it (RESUMED instead of PAUSED). Exactly one of
the two sides ever moves the handle to RESUMED, under the row lock (docs/flows.md).
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from infinite_scribe.domain.errors import (
    FlowAlreadyResumed,
    FlowHandleExpired,
    FlowHandleNotFound,
)
from shared_types.enums import HandleStatus

FLOW_PAUSED = "Genesis.Session.FlowPaused"
FLOW_RESUMED = "Genesis.Session.FlowResumed"
FLOW_EXPIRED = "Genesis.Session.FlowExpired"
FLOW_EVENTS = frozenset({FLOW_PAUSED, FLOW_RESUMED, FLOW_EXPIRED})


class ResumeOutcome(StrEnum):
    """What a resume did: woke a paused flow now, or left its payload for the landing pause."""

    RESUMED = "RESUMED"
    KEPT = "KEPT"


class LandingOutcome(StrEnum):
    """What a landing pause did: stopped (PAUSED), consumed an early reply, or nothing."""

    PAUSED = "PAUSED"
    RESUMED = "RESUMED"
    NOTHING = "NOTHING"


def on_resume(
    status: HandleStatus | None, resume_payload: Mapping[str, Any] | None
) -> ResumeOutcome:
    """The resume's effect on a handle in `status` (None: no handle); raise when it cannot."""
    if status is None:
        raise FlowHandleNotFound("No paused flow with this correlation id")
    if status is HandleStatus.EXPIRED:
        raise FlowHandleExpired("The flow waited too long; its handle expired")
    if status is HandleStatus.RESUMED or resume_payload is not None:
        raise FlowAlreadyResumed("The flow was already resumed")
    if status is HandleStatus.PAUSED:
        return ResumeOutcome.RESUMED
    return ResumeOutcome.KEPT


def on_pause_landed(
    status: HandleStatus | None, resume_payload: Mapping[str, Any] | None
) -> LandingOutcome:
    """The landing pause's effect: consume an early reply, or stop; nothing when not pending
    (already landed, expired, or unknown)."""
    if status is not HandleStatus.PENDING_PAUSE:
        return LandingOutcome.NOTHING
    return LandingOutcome.PAUSED if resume_payload is None else LandingOutcome.RESUMED
