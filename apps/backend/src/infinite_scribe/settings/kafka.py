"""librdkafka client options for real clusters (SASL, TLS, tuning): where they come from, which
names are accepted, and the one builder every Kafka client of the project uses.

Mapping rule: a variable `KAFKA_<NAME>` that is not one of the project's own KAFKA_* settings is
the librdkafka property `<name>` lowercased with `_` read as `.` (KAFKA_SECURITY_PROTOCOL ->
security.protocol). A file named by KAFKA_CONFIG_FILE (Java properties: `name=value`) gives
more; variables win over the file. A name that is not a librdkafka property, or that the
project sets itself, is refused at start-up.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The string-valued properties of librdkafka 2.x (global and topic level; callbacks and
#: pointers excluded), as printed by `rd_kafka_conf_properties_show`. A test checks the list
#: against the librdkafka the project runs with. (A string split: as a list literal the
#: formatter would spread it over 165 lines.)
LIBRDKAFKA_PROPERTIES = frozenset(
    """
acks allow.auto.create.topics api.version.fallback.ms api.version.request
api.version.request.timeout.ms auto.commit.enable auto.commit.interval.ms auto.offset.reset
batch.num.messages batch.size bootstrap.servers broker.address.family broker.address.ttl
broker.version.fallback builtin.features check.crcs client.dns.lookup client.id client.rack
compression.codec compression.level compression.type connections.max.idle.ms
consume.callback.max.messages coordinator.query.interval.ms debug delivery.report.only.error
delivery.timeout.ms enable.auto.commit enable.auto.offset.store enable.gapless.guarantee
enable.idempotence enable.metrics.push enable.partition.eof enable.random.seed
enable.sasl.oauthbearer.unsecure.jwt enable.ssl.certificate.verification fetch.error.backoff.ms
fetch.max.bytes fetch.message.max.bytes fetch.min.bytes fetch.queue.backoff.ms
fetch.wait.max.ms group.id group.instance.id group.protocol group.protocol.type
group.remote.assignor heartbeat.interval.ms https.ca.location https.ca.pem
internal.termination.signal isolation.level linger.ms log.connection.close log.queue
log.thread.name max.in.flight max.in.flight.requests.per.connection max.partition.fetch.bytes
max.poll.interval.ms max.poll.records message.copy.max.bytes message.max.bytes
message.send.max.retries message.timeout.ms metadata.broker.list metadata.max.age.ms
metadata.recovery.rebootstrap.trigger.ms metadata.recovery.strategy offset.store.method
offset.store.path offset.store.sync.interval.ms partition.assignment.strategy partitioner
plugin.library.paths produce.offset.report queue.buffering.backpressure.threshold
queue.buffering.max.kbytes queue.buffering.max.messages queue.buffering.max.ms
queued.max.messages.kbytes queued.min.messages queuing.strategy receive.message.max.bytes
reconnect.backoff.jitter.ms reconnect.backoff.max.ms reconnect.backoff.ms request.required.acks
request.timeout.ms retries retry.backoff.max.ms retry.backoff.ms sasl.kerberos.keytab
sasl.kerberos.kinit.cmd sasl.kerberos.min.time.before.relogin sasl.kerberos.principal
sasl.kerberos.service.name sasl.mechanism sasl.mechanisms sasl.oauthbearer.assertion.algorithm
sasl.oauthbearer.assertion.claim.aud sasl.oauthbearer.assertion.claim.exp.seconds
sasl.oauthbearer.assertion.claim.iss sasl.oauthbearer.assertion.claim.jti.include
sasl.oauthbearer.assertion.claim.nbf.seconds sasl.oauthbearer.assertion.claim.sub
sasl.oauthbearer.assertion.file sasl.oauthbearer.assertion.jwt.template.file
sasl.oauthbearer.assertion.private.key.file sasl.oauthbearer.assertion.private.key.passphrase
sasl.oauthbearer.assertion.private.key.pem sasl.oauthbearer.client.credentials.client.id
sasl.oauthbearer.client.credentials.client.secret sasl.oauthbearer.client.id
sasl.oauthbearer.client.secret sasl.oauthbearer.config sasl.oauthbearer.extensions
sasl.oauthbearer.grant.type sasl.oauthbearer.metadata.authentication.type
sasl.oauthbearer.method sasl.oauthbearer.scope sasl.oauthbearer.sub.claim.name
sasl.oauthbearer.token.endpoint.url sasl.password sasl.username security.protocol
session.timeout.ms share.acknowledgement.mode socket.blocking.max.ms
socket.connection.setup.timeout.ms socket.keepalive.enable socket.max.fails
socket.nagle.disable socket.receive.buffer.bytes socket.send.buffer.bytes socket.timeout.ms
ssl.ca.certificate.stores ssl.ca.location ssl.ca.pem ssl.certificate.location
ssl.certificate.pem ssl.cipher.suites ssl.crl.location ssl.curves.list
ssl.endpoint.identification.algorithm ssl.engine.id ssl.engine.location ssl.key.location
ssl.key.password ssl.key.pem ssl.keystore.location ssl.keystore.password ssl.providers
ssl.sigalgs.list statistics.interval.ms sticky.partitioning.linger.ms topic.blacklist
topic.metadata.propagation.max.ms topic.metadata.refresh.fast.cnt
topic.metadata.refresh.fast.interval.ms topic.metadata.refresh.interval.ms
topic.metadata.refresh.sparse transaction.timeout.ms transactional.id
""".split()  # noqa: SIM905
)

#: The fetch wait of the consumers that wait for work (the worker's requests, the API's drafts):
#: a consumer's default where no KAFKA_FETCH_WAIT_MAX_MS is given. The embedded broker holds a
#: fetch to its end even when a message arrives meanwhile, so the wait is both a message's
#: latency (up to it) and how often an idle consumer asks again, at about 0.7 ms of the
#: broker's CPU an empty fetch. 50 ms (decision 8007): an idle `scribe up`'s broker 148-268 ->
#: 66-124 ms of CPU a second (bench/idle.py); librdkafka's 500 ms would add up to half a second.
FETCH_WAIT_MS = 50

#: Properties the project decides itself, and the setting to use instead.
OWNED_PROPERTIES: Mapping[str, str] = {
    "metadata.broker.list": "KAFKA_BOOTSTRAP_SERVERS",
    "group.id": "WORKER_CONSUMER_GROUP",
    "session.timeout.ms": "WORKER_SESSION_TIMEOUT_MS",
    "message.timeout.ms": "RELAY_MESSAGE_TIMEOUT_MS",
    "delivery.timeout.ms": "RELAY_MESSAGE_TIMEOUT_MS",
    "message.max.bytes": "RELAY_MAX_MESSAGE_BYTES",
    "enable.idempotence": "nothing: the relay's ordering and no-duplicate promise needs it",
    "acks": "nothing: the relay's durability promise needs acks=all",
    "request.required.acks": "nothing: the relay's durability promise needs acks=all",
    "enable.auto.commit": "nothing: offsets are stored after the handler's commit",
    "enable.auto.offset.store": "nothing: offsets are stored after the handler's commit",
    "auto.commit.enable": "nothing: offsets are stored after the handler's commit",
}

ENV_PREFIX = "kafka_"


class KafkaOptionError(ValueError):
    """An option that cannot be used; the message names where it came from."""


def property_of_variable(variable: str) -> str:
    """KAFKA_SSL_CA_LOCATION -> ssl.ca.location."""
    return variable.lower().removeprefix(ENV_PREFIX).replace("_", ".")


def check_property(name: str, origin: str) -> None:
    if name in OWNED_PROPERTIES:
        raise KafkaOptionError(
            f"{origin}: {name} is set by the project; use {OWNED_PROPERTIES[name]}"
        )
    if name not in LIBRDKAFKA_PROPERTIES:
        raise KafkaOptionError(
            f"{origin}: {name!r} is not a librdkafka property (see librdkafka's "
            "CONFIGURATION.md; KAFKA_<NAME> maps to <name> with _ read as .)"
        )


def options_from_variables(
    variables: Mapping[str, str | None], project_settings: set[str]
) -> dict[str, str]:
    """The librdkafka options among `variables` (lower-case names, as pydantic-settings reads
    them); `project_settings` are the project's own kafka_* field names, never options."""
    options: dict[str, str] = {}
    for variable, value in variables.items():
        key = variable.lower()
        if not key.startswith(ENV_PREFIX) or key in project_settings or value is None:
            continue
        name = property_of_variable(key)
        check_property(name, key.upper())
        options[name] = value
    return options


def read_properties_file(path: Path) -> dict[str, str]:
    """`name=value` (or `name: value`) lines; `#` and `!` start comments. Continuation lines
    and escapes of the full Java format are not supported (librdkafka values need neither)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise KafkaOptionError(
            f"KAFKA_CONFIG_FILE: cannot read {path}: {error.strerror}"
        ) from error
    options: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        separator = min((i for i in (line.find("="), line.find(":")) if i > 0), default=-1)
        if separator < 0:
            raise KafkaOptionError(f"KAFKA_CONFIG_FILE {path}:{number}: expected name=value")
        name, value = line[:separator].strip(), line[separator + 1 :].strip()
        if name != "bootstrap.servers":
            check_property(name, f"KAFKA_CONFIG_FILE {path}:{number}")
        options[name] = value
    return options


#: Where librdkafka's log lines go, for every client built by `client_config`.
KAFKA_LOGGER = logging.getLogger("librdkafka")


@dataclass(frozen=True)
class KafkaConnection:
    """Where the cluster is and how to talk to it: what every client config starts from."""

    servers: str
    options: Mapping[str, str] = field(default_factory=dict)


def client_config(
    target: "str | KafkaConnection",
    defaults: Mapping[str, Any] | None = None,
    owned: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The librdkafka config of one client: the project's tunable `defaults`, then the
    operator's options, then what this client must have (`owned`: callbacks, group id,
    delivery guarantees). A plain string is a bootstrap list with no options."""
    connection = KafkaConnection(target) if isinstance(target, str) else target
    # librdkafka's own log lines go through Python logging (one log format for every process)
    # instead of straight to stderr.
    config: dict[str, Any] = {"bootstrap.servers": connection.servers, "logger": KAFKA_LOGGER}
    config.update(defaults or {})
    config.update(connection.options)
    config.update(owned or {})
    return config
