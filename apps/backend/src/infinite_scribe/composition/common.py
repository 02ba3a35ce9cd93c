"""What both workers' composition shares: their endpoints."""

from infinite_scribe.settings.kafka import KafkaConnection
from infinite_scribe.settings.settings import Settings


def endpoints(settings: Settings, who: str) -> tuple[str, KafkaConnection]:
    """The database URL and the broker connection, refused when either is missing."""
    url, servers = settings.resolved_database_url(), settings.resolved_kafka_servers()
    if url is None or servers is None:
        raise ValueError(f"the {who} needs DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS")
    return url, settings.kafka_connection() or KafkaConnection(servers)
