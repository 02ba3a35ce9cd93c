"""GapTracker: the cursor moves through contiguous ids, waits at a hole while writers that may
hold it run, and passes it once they have all ended (or after the timeout)."""

from infinite_scribe.persistence.stream.event_horizon import GapTracker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_contiguous_ids_pass() -> None:
    tracker = GapTracker(10, timeout=60)
    assert tracker.accept([11, 12, 13]) == 3
    assert tracker.cursor == 13 and not tracker.wants_holders


def test_hole_waits_for_its_writers_then_fills() -> None:
    tracker = GapTracker(10, timeout=60)
    assert tracker.accept([12]) == 0  # 11 missing below a visible 12
    assert tracker.wants_holders
    tracker.set_holders({"3/7", "4/9"})
    assert tracker.waiting_on == {"3/7", "4/9"}
    assert tracker.accept([12, 13]) == 0
    assert tracker.accept([11, 12, 13]) == 3  # the late row committed
    assert tracker.cursor == 13 and tracker.hole is None


def test_hole_passes_once_its_writers_ended() -> None:
    tracker = GapTracker(0, timeout=60)
    assert tracker.accept([1, 3]) == 1
    tracker.set_holders({"3/7"})
    assert tracker.accept([3]) == 0
    tracker.holders_ended()
    assert tracker.waiting_on == frozenset()
    assert tracker.accept([3, 4]) == 2
    assert tracker.cursor == 4


def test_hole_without_writers_passes_on_the_next_read() -> None:
    tracker = GapTracker(0, timeout=60)
    assert tracker.accept([2]) == 0
    tracker.set_holders(set())  # looked after the read: the next read may pass it
    assert tracker.accept([2]) == 1


def test_hole_skipped_after_timeout() -> None:
    clock = Clock()
    tracker = GapTracker(0, timeout=5, clock=clock)
    assert tracker.accept([2]) == 0
    tracker.set_holders({"1/1"})
    clock.now = 4.9
    assert tracker.accept([2]) == 0
    clock.now = 5.0
    assert tracker.accept([2]) == 1
    assert tracker.skipped_by_timeout == 1
