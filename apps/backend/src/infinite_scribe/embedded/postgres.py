"""The embedded PostgreSQL 16 (the `pgserver` package), data kept under $SCRIBE_DATA_DIR/pg."""

import json
import logging
import subprocess
import warnings
from pathlib import Path
from typing import Any

import asyncpg

from infinite_scribe.embedded.watchdog import Watchdog, process_running
from infinite_scribe.persistence.database import with_database

logger = logging.getLogger(__name__)


def quiet_pgserver() -> None:
    """pgserver logs the whole output of initdb and pg_ctl at INFO, and the whole server log on
    a failure, as one huge multi-line record each: our own lines say what happened, and where
    the server's log is."""
    logging.getLogger("pgserver").setLevel(logging.CRITICAL)


def _forget_dead_handles(data_dir: Path) -> None:
    """pgserver counts the processes using a server in .handle_pids.json and stops it when the
    last one exits; a process killed with -9 never removes itself, so the server would never be
    stopped again. Drop the pids of processes that no longer exist."""
    handles = data_dir / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and process_running(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


class EmbeddedPostgres:
    """Starts (or reuses) a PostgreSQL server on a Unix socket in `data_dir`; `stop()` stops it.

    pgserver listens on a Unix socket only, so nothing is exposed on any network interface.
    """

    def __init__(
        self, data_dir: Path, database: str = "infinite_scribe", watched: bool = False
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.database = database
        #: With a watchdog process that stops the server if this process dies (`scribe up`).
        self.watched = watched
        self._watchdog: Watchdog | None = None
        self._server: Any = None

    def start(self) -> str:
        """Start the server, create the database if needed, return its postgresql:// URL."""
        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; harmless here.
            warnings.simplefilter("ignore")
            import pgserver

            self.data_dir.parent.mkdir(parents=True, exist_ok=True)
            _forget_dead_handles(self.data_dir)
            quiet_pgserver()
            if self.watched:
                # First, and after a previous watchdog is done: a kill -9 of this process
                # at any later moment leaves no server running (watchdog.py).
                self._watchdog = Watchdog()
                self._watchdog.start(self.data_dir)
            try:
                self._server = pgserver.get_server(self.data_dir, cleanup_mode="stop")
            except BaseException:
                self.stop()
                raise
        self._ensure_logical_wal()
        server_url = str(self._server.get_uri())
        self._ensure_database(server_url)
        logger.info("embedded PostgreSQL running in %s (pid %s)", self.data_dir, self.pid)
        return with_database(server_url, self.database)

    @property
    def alive(self) -> bool:
        """Whether the postmaster still runs (a zombie left unreaped counts as dead)."""
        pid = self.pid
        return pid is not None and process_running(pid)

    def restart(self) -> None:
        """Start the server again after it died, on the same data directory and socket."""
        assert self._server is not None, "start() first"
        pid_file = self.data_dir / "postmaster.pid"
        with type(self._server)._lock:
            # PostgreSQL refuses to start while postmaster.pid names a live pid; a zombie (the
            # dead postmaster, not yet reaped) is one.
            if pid_file.exists() and not self.alive:
                pid_file.unlink()
            try:
                self._server.ensure_postgres_running()
            except subprocess.CalledProcessError as error:
                log = self.data_dir / "log"
                raise RuntimeError(f"pg_ctl start exited {error.returncode}; see {log}") from None
        logger.info("embedded PostgreSQL restarted (pid %s)", self.pid)

    def _ensure_logical_wal(self) -> None:
        """wal_level=logical, so that the logical outbox can be switched on (decision 2600): set
        once per data directory, with one restart the first time."""
        import asyncio

        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # made at import

        async def set_level() -> bool:
            connection = await asyncpg.connect(str(self._server.get_uri()))
            try:
                if await connection.fetchval("SHOW wal_level") == "logical":
                    return False
                await connection.execute("ALTER SYSTEM SET wal_level = 'logical'")
                return True
            finally:
                await connection.close()

        if asyncio.run(set_level()):
            server = self._server
            with type(server)._lock:
                pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
                server.ensure_postgres_running()

    def _ensure_database(self, server_url: str) -> None:
        import asyncio

        async def create() -> None:
            connection = await asyncpg.connect(server_url)
            try:
                exists = await connection.fetchval(
                    "SELECT 1 FROM pg_database WHERE datname = $1", self.database
                )
                if not exists:
                    await connection.execute(f'CREATE DATABASE "{self.database}"')
            finally:
                await connection.close()

        asyncio.run(create())

    @property
    def pid(self) -> int | None:
        if self._server is None:
            return None
        pid = self._server.get_pid()
        return int(pid) if pid is not None else None

    def stop(self) -> None:
        """Stop the server (pgserver keeps a handle count; the last handle stops it)."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
            logger.info("embedded PostgreSQL stopped")
        if self._watchdog is not None:
            self._watchdog.release()
            self._watchdog = None
