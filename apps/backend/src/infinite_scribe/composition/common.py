"""What both workers' composition shares: their endpoints, and their options read from the
settings by name."""

import dataclasses
from typing import Any, TypeVar

from infinite_scribe.settings.kafka import KafkaConnection
from infinite_scribe.settings.settings import Settings


def endpoints(settings: Settings, who: str) -> tuple[str, KafkaConnection]:
    """The database URL and the broker connection, refused when either is missing."""
    url, servers = settings.resolved_database_url(), settings.resolved_kafka_servers()
    if url is None or servers is None:
        raise ValueError(f"the {who} needs DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS")
    return url, settings.kafka_connection() or KafkaConnection(servers)


T = TypeVar("T")


def options_from(settings: Settings, kind: type[T], prefixes: tuple[str, ...], **given: Any) -> T:
    """`kind` (a dataclass of a worker's options) from the settings: each field not `given` is
    the setting of its name under exactly one of `prefixes` (`consumer_group` is
    WORKER_CONSUMER_GROUP under "worker_"); none or two is a mistake, refused at once."""
    names = type(settings).model_fields
    values = dict(given)
    factory: Any = kind  # a dataclass
    for option in dataclasses.fields(factory):
        if option.name in given:
            continue
        found = [prefix + option.name for prefix in prefixes if prefix + option.name in names]
        if len(found) != 1:
            raise LookupError(f"{kind.__name__}.{option.name}: settings {found or 'none'}")
        values[option.name] = getattr(settings, found[0])
    result: T = factory(**values)
    return result
