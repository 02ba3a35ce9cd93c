"""The workers' options are read from the settings by name (composition/common.py
`options_from`): each option is the setting of its name under exactly one prefix, so a renamed
or an ambiguous option is refused when the worker is built, not read as another setting."""

from dataclasses import dataclass

import pytest

from infinite_scribe.composition.agents import worker_options
from infinite_scribe.composition.common import options_from
from infinite_scribe.composition.relay import relay_options
from infinite_scribe.settings.settings import Settings

SETTINGS = Settings(
    database_url="postgresql://unused/db",
    kafka_bootstrap_servers="127.0.0.1:9",
    worker_consumer_group="group-7",
    relay_batch_size=77,
    relay_broker_probe_timeout_seconds=3.5,
)


def test_each_option_is_the_setting_of_its_name() -> None:
    worker, relay = worker_options(SETTINGS), relay_options(SETTINGS)
    assert (worker.consumer_group, worker.topic) == ("group-7", SETTINGS.kafka_topic)
    assert worker.probe_timeout_seconds == relay.probe_timeout_seconds == 3.5
    assert (relay.batch_size, relay.database_url) == (77, "postgresql://unused/db")


@dataclass(frozen=True)
class Odd:
    batch_size: int


def test_an_option_with_no_setting_or_two_is_refused() -> None:
    with pytest.raises(LookupError, match="none"):
        options_from(SETTINGS, Odd, ("worker_",))
    with pytest.raises(LookupError, match="relay_batch_size"):
        options_from(SETTINGS, Odd, ("relay_", "relay_"))
    assert options_from(SETTINGS, Odd, ("relay_",)).batch_size == 77
