"""A relay's heartbeat, and the share of the key space it claims from first (issue 26)."""

import logging
from typing import Protocol

from infinite_scribe.persistence.relay.members import RelayMembers, Share

logger = logging.getLogger(__name__)


class HasShare(Protocol):
    relay_id: str
    share: Share


async def keep_share(members: RelayMembers, relay: HasShare) -> None:
    """One heartbeat, keeping `relay.share` current (the relay runs it four times per member
    TTL, a `runtime.periodic` job). While the database does not answer the last share stays:
    at worst two relays claim from the same buckets for a while, which the claim's lease makes
    safe."""
    share = await members.heartbeat()
    if share != relay.share:
        logger.info(
            "relay %s claims key buckets %d-%d first (%d relays)",
            relay.relay_id,
            share.low,
            share.high - 1,
            share.members,
        )
    relay.share = share
