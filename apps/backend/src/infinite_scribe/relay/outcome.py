"""What a delivered batch's reports mean for its rows, key by key (issue 26).

A batch holds up to `RELAY_MAX_PER_KEY` rows of a key, produced in order to the key's partition.
Only the acknowledged *prefix* of a key's rows may be marked SENT: the first row that was not
acknowledged (rejected, timed out, purged, held) stops its key, and every later row of that key
in the batch is released to wait behind it, acknowledged or not. Marking a later row SENT while
an earlier one will be published again would deliver the key out of order.
"""

import logging
from dataclasses import dataclass, field
from uuid import UUID

from confluent_kafka import KafkaError

from infinite_scribe.application.ports.relay import ClaimedRow
from infinite_scribe.kafka.producer import is_rejection

logger = logging.getLogger(__name__)


@dataclass
class BatchOutcome:
    """The rows of one batch, sorted into what the outbox is told."""

    sent: list[UUID] = field(default_factory=list)
    #: Not acknowledged for a reason that is not the message's (outage, timeout, purge).
    released: list[ClaimedRow] = field(default_factory=list)
    #: Queued behind an earlier row of their key that was not acknowledged.
    held: list[ClaimedRow] = field(default_factory=list)
    rejected: list[tuple[ClaimedRow, KafkaError]] = field(default_factory=list)
    #: Rows acknowledged after an earlier row of their key failed: on the wire out of order.
    overtaken: int = 0
    #: The first report of a released row, and whether one says the broker is down (a purge,
    #: i.e. our own shutdown, does not).
    release_reason: KafkaError | None = None
    outage: bool = False


def sort_reports(rows: list[ClaimedRow], results: list[KafkaError | None]) -> BatchOutcome:
    """Split `rows` (in produce order) by their delivery reports, keeping each key's prefix."""
    outcome = BatchOutcome()
    stopped: set[str] = set()
    for row, error in zip(rows, results, strict=True):
        key = row.key
        if key is not None and key in stopped:
            outcome.held.append(row)
            if error is None:
                outcome.overtaken += 1
            continue
        if error is None:
            outcome.sent.append(row.id)
            continue
        if key is not None:
            stopped.add(key)
        if is_rejection(error):
            outcome.rejected.append((row, error))
        else:
            outcome.released.append(row)
            outcome.release_reason = outcome.release_reason or error
            outcome.outage = outcome.outage or "PURGE" not in error.name()
    if outcome.overtaken:
        # Rare (a broker that rejects one message and accepts the next of its partition): the
        # later rows are published again after the failed one, so the key's log holds them in
        # order after it, with an early duplicate that consumers skip by ce_id.
        logger.error(
            "%d messages acknowledged after an earlier message of their key failed: "
            "released to be published again after it",
            outcome.overtaken,
        )
    return outcome
