"""The SQLite connection: pragmas, transactions and numbered migrations.

One aiosqlite connection serves the whole process (aiosqlite runs every statement on one
thread anyway). Writes that belong together run inside :meth:`Database.transaction`,
which holds an asyncio lock so two coroutines never interleave statements in one
transaction on the shared connection.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import aiosqlite

from jfa_bot.store.migrations import MIGRATIONS

__all__ = ["Database", "ErasureReason", "SchemaTooNewError", "owner_only", "utc_now", "utc_stamp"]

log = logging.getLogger(__name__)

_BUSY_MS = 5000
_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # NORMAL for routine writes; a transaction whose outcome the user is told about
    # (a signature, a consent, an erasure) switches to FULL for its commit: see `durable`.
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={_BUSY_MS}",
    # Erased rows are overwritten with zeros, so a deleted name does not linger on disk.
    "PRAGMA secure_delete=ON",
)


Params = Sequence[Any] | Mapping[str, Any]

#: Why an erasure-class write happened (kept in the pending-erasure record, never a person).
ErasureReason = str

# A checkpoint waits at most this long for other connections' readers to finish, polling
# every _CHECKPOINT_POLL seconds (with a short busy_timeout so the bot is never blocked);
# past that it stays pending and the periodic job or the next start-up finishes it.
CHECKPOINT_WAIT = 30.0
_CHECKPOINT_POLL = 0.1
_CHECKPOINT_BUSY_MS = 50
_OWNER_ONLY = 0o600


def owner_only(path: Path) -> None:
    """Make a file readable and writable by its owner only (if it exists)."""
    with suppress(FileNotFoundError):
        os.chmod(path, _OWNER_ONLY)


def _create_owner_only(path: Path) -> None:
    """Create the database file 0600 before SQLite opens it; SQLite gives -wal/-shm its mode."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, _OWNER_ONLY)
    os.close(fd)
    for suffix in ("", "-wal", "-shm", "-journal"):
        owner_only(Path(f"{path}{suffix}"))


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer version of the bot."""


def utc_stamp(moment: dt.datetime) -> str:
    """Return a moment as stored: UTC, ISO 8601 with seconds and a `Z`."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> str:
    """Return the current UTC time as stored."""
    return utc_stamp(dt.datetime.now(dt.UTC))


class Database:
    """A single shared connection with transaction and migration helpers."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()
        #: Commit `durable` transactions with synchronous=FULL. Only the benchmark turns
        #: this off, to measure what durability costs against NORMAL in the same run.
        self.durable_commits = True

    @classmethod
    async def open(cls, path: Path | str, *, migrate: bool = True) -> Database:
        """Open (creating if needed) the database file, set pragmas and migrate it."""
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
            _create_owner_only(path)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        try:
            for pragma in _PRAGMAS:
                await conn.execute(pragma)
            db = cls(conn, path)
            if migrate:
                await db.migrate()
                # An erasure committed before a crash may still have old copies in the
                # write-ahead log: finish it before anything else runs.
                await db.finish_erasures()
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()

    @property
    def conn(self) -> aiosqlite.Connection:
        """Return the raw connection (for store modules only)."""
        return self._conn

    async def schema_version(self) -> int:
        """Return the applied migration number (`PRAGMA user_version`)."""
        return int(await self.scalar("PRAGMA user_version") or 0)

    async def migrate(self) -> list[int]:
        """Apply pending numbered migrations in order; return the numbers applied."""
        current = await self.schema_version()
        latest = len(MIGRATIONS)
        if current > latest:
            raise SchemaTooNewError(
                f"database schema {current} is newer than this program's {latest}; upgrade the bot"
            )
        applied = []
        async with self._write_lock:
            for number, script in enumerate(MIGRATIONS, start=1):
                if number <= current:
                    continue
                try:
                    await self._conn.executescript(
                        f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version={number};\nCOMMIT;"
                    )
                except sqlite3.Error:
                    if self._conn.in_transaction:
                        await self._conn.execute("ROLLBACK")
                    raise
                log.info("Applied database migration %d", number)
                applied.append(number)
        return applied

    @asynccontextmanager
    async def transaction(self, *, durable: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block in one write transaction, committed at the end or rolled back.

        `durable` commits with `synchronous=FULL`: the commit is on disk (not only in the
        operating system's cache) before the caller tells the user it is saved.
        """
        durable = durable and self.durable_commits
        async with self._write_lock:
            if durable:
                await self._conn.execute("PRAGMA synchronous=FULL")
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                await self._conn.execute("COMMIT")
            finally:
                if durable:
                    await self._conn.execute("PRAGMA synchronous=NORMAL")

    @asynccontextmanager
    async def erasing(self, reason: ErasureReason) -> AsyncIterator[aiosqlite.Connection]:
        """Run an erasure-class write durably, then make sure no old copy stays on disk.

        The transaction also records a pending erasure; after the commit the write-ahead log
        is checkpointed and truncated (secure_delete has zeroed the erased rows in the main
        file). If a reader blocks that, or the process dies first, the record stays and the
        periodic job or the next start-up finishes it (:meth:`finish_erasures`).
        """
        async with self.transaction(durable=True) as conn:
            before = await self._total_changes()
            yield conn
            changed = await self._total_changes() != before
            if changed:
                await conn.execute(
                    "INSERT INTO pending_erasures (reason, at) VALUES (?, ?)", (reason, utc_now())
                )
        if changed:
            await self.finish_erasures()

    async def _total_changes(self) -> int:
        rows = await self._conn.execute_fetchall("SELECT total_changes()")
        return int(next(iter(rows))[0])

    async def pending_erasures(self) -> int:
        """Return how many erasures still wait for their checkpoint."""
        return int(await self.scalar("SELECT COUNT(*) FROM pending_erasures") or 0)

    async def finish_erasures(self, max_wait: float | None = None) -> bool:
        """Checkpoint and truncate the log if an erasure is pending; True when none remains."""
        if not await self.pending_erasures():
            return True
        if not await self.checkpoint(max_wait):
            return False
        async with self._write_lock:
            await self._conn.execute("DELETE FROM pending_erasures")
        # Fold that last small write in too (it holds no one's data; best effort).
        await self.checkpoint(0.0)
        return True

    async def checkpoint(self, max_wait: float | None = None) -> bool:
        """Checkpoint the write-ahead log into the main file and truncate it to zero bytes.

        Waits up to `max_wait` seconds (CHECKPOINT_WAIT by default) for other connections'
        readers, in short steps so this connection keeps serving; logs when it had to wait.
        Returns False (and logs a warning) when readers still held the log at the end.
        """
        limit = CHECKPOINT_WAIT if max_wait is None else max_wait
        started = time.monotonic()
        attempts = 0
        while True:
            attempts += 1
            async with self._write_lock:
                await self._conn.execute(f"PRAGMA busy_timeout={_CHECKPOINT_BUSY_MS}")
                try:
                    row = await self.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    await self._conn.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
            waited = time.monotonic() - started
            if row is not None and row[0] == 0:
                if attempts > 1:
                    log.warning(
                        "Erasure checkpoint waited %.1f s for other readers of %s (%d attempts)",
                        waited,
                        self.path.name,
                        attempts,
                    )
                return True
            if waited >= limit:
                log.warning(
                    "Erasure checkpoint of %s still blocked by a reader after %.1f s; "
                    "it stays pending and will be retried",
                    self.path.name,
                    waited,
                )
                return False
            await asyncio.sleep(_CHECKPOINT_POLL)

    async def execute(self, sql: str, params: Params = ()) -> None:
        """Run one write statement in its own transaction."""
        async with self._write_lock:
            await self._conn.execute(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """Return the first row of a query, or None (one round trip to the SQLite thread)."""
        rows = await self._conn.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Return every row of a query (one round trip)."""
        return list(await self._conn.execute_fetchall(sql, params))

    async def write_returning(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Run one write statement with RETURNING, atomically, in one round trip."""
        async with self._write_lock:
            return list(await self._conn.execute_fetchall(sql, params))

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        """Return the first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def integrity_check(self) -> str:
        """Run `PRAGMA integrity_check` and return its verdict (`ok` when sound)."""
        return str(await self.scalar("PRAGMA integrity_check"))
