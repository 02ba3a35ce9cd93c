"""The safe position of a partition whose messages finish out of order."""

from infinite_scribe.kafka.offsets import PartitionOffsets


def test_the_position_never_passes_an_unfinished_message() -> None:
    offsets = PartitionOffsets("t", 0)
    assert offsets.position() is None
    for offset in (5, 6, 7, 8):
        offsets.started(offset)
    assert offsets.position() == 5
    offsets.finished(7)
    offsets.finished(8)
    assert offsets.position() == 5  # 5 and 6 are still running: a crash redelivers 5..8
    offsets.finished(5)
    assert offsets.position() == 6
    offsets.finished(6)
    assert offsets.position() == 9  # all done: one past the highest seen


def test_changed_reports_only_moves_since_the_last_store() -> None:
    offsets = PartitionOffsets("t", 0)
    offsets.started(0)
    assert offsets.changed() == 0
    offsets.mark_stored(0)
    assert offsets.changed() is None
    offsets.finished(0)
    assert offsets.changed() == 1


def test_a_message_seen_again_out_of_order_holds_the_position() -> None:
    # A refetch after a rebalance can bring an older offset after a newer one.
    offsets = PartitionOffsets("t", 0)
    offsets.started(8)
    offsets.finished(8)
    offsets.started(5)
    assert offsets.position() == 5
    offsets.finished(5)
    assert offsets.position() == 9
