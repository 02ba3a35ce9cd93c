"""Alembic driven from code: upgrade, downgrade, current revision, and the offline SQL script."""

import io
import logging
from contextlib import redirect_stdout
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from infinite_scribe.persistence.database import sqlalchemy_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' must be escaped for ConfigParser interpolation (passwords may contain it).
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    return config


logger = logging.getLogger(__name__)
#: Alembic's logger that speaks at INFO on every upgrade.
_ALEMBIC_LOGGER = logging.getLogger("alembic.runtime.migration")


class _Applied(logging.Filter):
    """Alembic's INFO lines (its context, each revision with its whole docstring:
    about 100 lines on a first start) shown only where DEBUG is on (issue 77: a start a person
    can read); the revisions applied counted for one line of our own."""

    def __init__(self) -> None:
        super().__init__()
        self.revisions: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        message = record.getMessage()
        if message.startswith("Running upgrade"):
            self.revisions.append(message.split(",", 1)[0].rsplit(" ", 1)[-1])
        return logger.isEnabledFor(logging.DEBUG)


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision`, logging one line for what it applied. Runs its own
    event loop: call it from sync code."""
    applied = _Applied()
    _ALEMBIC_LOGGER.addFilter(applied)
    try:
        command.upgrade(alembic_config(database_url), revision)
    finally:
        _ALEMBIC_LOGGER.removeFilter(applied)
    if applied.revisions:
        logger.info(
            "database schema upgraded to %s (%d migrations applied)",
            applied.revisions[-1],
            len(applied.revisions),
        )


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def applied_depth(database_url: str, current: str | None) -> int:
    """How many migrations lie under `current` (inclusive): `-N` with N >= this is `base`."""
    script = ScriptDirectory.from_config(alembic_config(database_url))
    return 0 if current is None else sum(1 for _ in script.iterate_revisions(current, "base"))


def upgrade_sql(database_url: str = "postgresql://localhost/infinite_scribe") -> str:
    """The whole migration as one SQL script, for a DBA to review or apply by hand."""
    buffer = io.StringIO()
    config = alembic_config(database_url)
    config.stdout = buffer
    with redirect_stdout(buffer):
        command.upgrade(config, "head", sql=True)
    return buffer.getvalue()


async def current_revision(database_url: str) -> str | None:
    engine = create_async_engine(sqlalchemy_url(database_url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()
