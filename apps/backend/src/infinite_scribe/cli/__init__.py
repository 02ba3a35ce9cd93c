"""`scribe`: the command line and the composition root (nothing imports this package).

The command tree is assembled here; each sub-command lives in the module named after it.
"""

from infinite_scribe.cli import processes, settings
from infinite_scribe.cli.app import app
from infinite_scribe.cli.archive import archive_app
from infinite_scribe.cli.db import db_app
from infinite_scribe.cli.idempotency import idempotency_app
from infinite_scribe.cli.kafka import kafka_app
from infinite_scribe.cli.model import model_app
from infinite_scribe.cli.outbox import events_app, outbox_app
from infinite_scribe.cli.projections import projections_app
from infinite_scribe.cli.schema import schema_app
from infinite_scribe.cli.services import services_app
from infinite_scribe.cli.trash import trash_app
from infinite_scribe.cli.worker import worker_app

for command in (processes.up, processes.api, processes.relay, processes.token, settings.settings):
    app.command()(command)
for sub_app, name in (
    (services_app, "services"),
    (kafka_app, "kafka"),
    (db_app, "db"),
    (idempotency_app, "idempotency"),
    (schema_app, "schema"),
    (worker_app, "worker"),
    (projections_app, "projections"),
    (trash_app, "trash"),
    (archive_app, "archive"),
    (outbox_app, "outbox"),
    (events_app, "events"),
    (model_app, "model"),
):
    app.add_typer(sub_app, name=name)

__all__ = ["app", "main"]


def main() -> None:
    app()
