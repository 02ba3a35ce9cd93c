"""What the model path of this process actually does (issue 79, decision 7901): the calls in
flight, how the recent ones ended, and the shared rate-limit pause. The worker's model gate
writes it; the model's health (runtime/model_health.py) reads it beside its probe, so a model
whose every completion fails or hangs reads `degraded` with the reason, and a probe that times
out while calls are in flight reads "busy", not "down".

One record per model server (`activity_of(base_url)`), shared by whatever in the process talks
to that server: under `scribe up` the API and the worker are one process and read the same one;
a `scribe api` alone has no calls of its own and keeps to its probe."""

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

#: The outcomes considered "recent" (seconds) and how many are kept.
RECENT_SECONDS = 120.0
KEPT_OUTCOMES = 20


@dataclass(frozen=True)
class Outcome:
    """How one model call ended: `failure` is None when it answered."""

    at: float
    failure: str | None


class ModelActivity:
    """The model path's recent record; cheap to write (a deque), read per health check."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.in_flight = 0
        self._outcomes: deque[Outcome] = deque(maxlen=KEPT_OUTCOMES)
        self._paused_until = 0.0
        self._pause_reason = ""

    def forgotten(self) -> "ModelActivity":
        """This record, emptied (a new worker starts with no past of its own)."""
        self.in_flight = 0
        self._outcomes.clear()
        self._paused_until, self._pause_reason = 0.0, ""
        return self

    def moved(self, by: int) -> None:
        """A call started (+1) or ended (-1)."""
        self.in_flight = max(self.in_flight + by, 0)

    def answered(self) -> None:
        self._outcomes.append(Outcome(self._clock(), None))

    def failed(self, reason: str) -> None:
        """A call the server did not complete (a timeout, an outage, a 429, a refusal of the
        request); a reply that is merely not a valid proposal is the model's, not the path's."""
        self._outcomes.append(Outcome(self._clock(), reason))

    def paused(self, until: float, reason: str) -> None:
        """Every call waits until `until` (this clock): the server asked to slow down."""
        self._paused_until, self._pause_reason = until, reason

    def pause_left(self) -> float:
        return max(self._paused_until - self._clock(), 0.0)

    def trouble(self) -> str | None:
        """Why the model path is degraded now, as a sentence (None: it is not)."""
        left = self.pause_left()
        if left > 0:
            return (
                f"paused: the model server asked to slow down ({self._pause_reason}); "
                f"every model call waits {left:.0f} s more"
            )
        now = self._clock()
        recent = [outcome for outcome in self._outcomes if now - outcome.at <= RECENT_SECONDS]
        if not recent or recent[-1].failure is None:
            return None
        failures = sum(outcome.failure is not None for outcome in recent)
        return (
            f"failing: {failures} of the last {len(recent)} model calls failed, the last "
            f"{now - recent[-1].at:.0f} s ago: {recent[-1].failure}"
        )


_ACTIVITIES: dict[str, ModelActivity] = {}


def activity_of(base_url: str) -> ModelActivity:
    """The process's record of the model server at `base_url`."""
    key = base_url.rstrip("/")
    found = _ACTIVITIES.get(key)
    if found is None:
        found = _ACTIVITIES[key] = ModelActivity()
    return found
