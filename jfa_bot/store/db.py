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
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from jfa_bot.store.migrations import MIGRATIONS

__all__ = ["Database", "SchemaTooNewError", "utc_now"]

log = logging.getLogger(__name__)

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    # Erased rows are overwritten with zeros, so a deleted name does not linger on disk.
    "PRAGMA secure_delete=ON",
)


Params = Sequence[Any] | Mapping[str, Any]


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer version of the bot."""


def utc_now() -> str:
    """Return the current UTC time as stored: ISO 8601 with seconds and a `Z`."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Database:
    """A single shared connection with transaction and migration helpers."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str, *, migrate: bool = True) -> Database:
        """Open (creating if needed) the database file, set pragmas and migrate it."""
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        try:
            for pragma in _PRAGMAS:
                await conn.execute(pragma)
            db = cls(conn, path)
            if migrate:
                await db.migrate()
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
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block in one write transaction, committed at the end or rolled back."""
        async with self._write_lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

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
