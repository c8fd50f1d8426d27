"""Files holding names that the bot sent to organizers, until they are deleted from the chat.

An export (the signatures CSV, the hand-over pack) stays in the organizer's Telegram chat
unless the bot deletes it: each one is recorded with the time it is due for deletion, and
a job deletes it then. When a signer takes their name back (forget, withdraw, or off the
hand-over list), every export that may hold it becomes due at once, in the same
transaction as the change, so a crash cannot keep the file in the chat. A record says
which message and when, never what it held or about whom.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import aiosqlite

from jfa_bot.store.db import Database, utc_stamp

__all__ = ["SentExport", "SentExports"]


@dataclass(frozen=True, slots=True)
class SentExport:
    """An export message in an organizer's chat, due for deletion."""

    chat_id: int
    message_id: int
    kind: str
    erasure: bool  # due early because a signer took their name back


class SentExports:
    """The record of export messages still in organizers' chats."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def begin(self, chat_id: int, kind: str, *, keep: dt.timedelta) -> int:
        """Note an export about to be built for this chat; return its placeholder id.

        The placeholder (a negative message id, which Telegram never uses) stands for the
        file until it is sent: a signer who takes their name back meanwhile makes it due,
        and :meth:`record` carries that over to the message, so a file built before the
        erasure and sent after it still leaves the chat at once.
        """
        placeholder = -1 - secrets.randbelow(2**62)
        now = dt.datetime.now(dt.UTC)
        await self._db.execute(
            "INSERT OR REPLACE INTO sent_exports (chat_id, message_id, kind, sent_at, delete_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (chat_id, placeholder, kind, utc_stamp(now), utc_stamp(now + keep)),
        )
        return placeholder

    async def record(
        self,
        chat_id: int,
        message_id: int,
        kind: str,
        *,
        keep: dt.timedelta,
        placeholder: int | None = None,
    ) -> bool:
        """Note an export message just sent, to be deleted `keep` from now.

        With the `placeholder` from :meth:`begin`, it replaces it; return True when a name
        was taken back while the file was built or sent (it is then due at once).
        """
        now = dt.datetime.now(dt.UTC)
        taken_back = False
        async with self._db.transaction() as conn:
            if placeholder is not None:
                async with conn.execute(
                    "SELECT erasure FROM sent_exports WHERE chat_id = ? AND message_id = ?",
                    (chat_id, placeholder),
                ) as cursor:
                    row = await cursor.fetchone()
                taken_back = row is not None and bool(row[0])
                await conn.execute(
                    "DELETE FROM sent_exports WHERE chat_id = ? AND message_id = ?",
                    (chat_id, placeholder),
                )
            await conn.execute(
                "INSERT OR REPLACE INTO sent_exports "
                "(chat_id, message_id, kind, sent_at, delete_at, erasure) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    chat_id,
                    message_id,
                    kind,
                    utc_stamp(now),
                    utc_stamp(now if taken_back else now + keep),
                    int(taken_back),
                ),
            )
        return taken_back

    async def due(self, now: dt.datetime | None = None) -> list[SentExport]:
        """Return the export messages whose deletion time has come, oldest first."""
        rows = await self._db.fetchall(
            "SELECT chat_id, message_id, kind, erasure FROM sent_exports "
            "WHERE delete_at <= ? AND message_id > 0 ORDER BY delete_at",
            (utc_stamp(now or dt.datetime.now(dt.UTC)),),
        )
        return [SentExport(int(r[0]), int(r[1]), str(r[2]), bool(r[3])) for r in rows]

    async def drop(self, chat_id: int, message_id: int) -> None:
        """Forget an export message once it is deleted (or Telegram refused to delete it)."""
        await self._db.execute(
            "DELETE FROM sent_exports WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )

    async def drop_unsent(self, before: dt.datetime) -> None:
        """Forget placeholders of exports begun before `before` and never sent (a crash)."""
        await self._db.execute(
            "DELETE FROM sent_exports WHERE message_id < 0 AND sent_at < ?", (utc_stamp(before),)
        )

    async def count(self) -> int:
        """Return how many export messages are still recorded."""
        return int(await self._db.scalar("SELECT COUNT(*) FROM sent_exports") or 0)

    @staticmethod
    async def name_shown_since_in(conn: aiosqlite.Connection, user_id: int) -> str | None:
        """Return since when exports may hold this signer's name, or None if none can.

        Read inside the transaction that removes or withholds the name, before it changes
        the signature; then :meth:`taken_back_in` with the answer. An export holds a name
        only if the signer had signed, with a name shown on the hand-over list, by the
        time it was sent: exports sent earlier (or before the name was last put on the
        list), and everyone else's erasures, leave the organizers' files alone (so no one
        can wipe them by sending /forget, or by listing and unlisting their name).
        """
        async with conn.execute(
            "SELECT COALESCE(listed_since, signed_at) FROM signatures "
            "WHERE user_id = ? AND name IS NOT NULL AND visibility = 'public'",
            (user_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    async def taken_back_in(conn: aiosqlite.Connection, since: str | None) -> int:
        """Make due now every export sent at or after `since`, or still being built.

        Return how many. An export being built (a placeholder) may hold the name whenever
        its build began, so it is made due whatever `since` is.
        """
        if since is None:
            return 0
        now = utc_stamp(dt.datetime.now(dt.UTC))
        cursor = await conn.execute(
            "UPDATE sent_exports SET delete_at = ?, erasure = 1 "
            "WHERE delete_at > ? AND (sent_at >= ? OR message_id < 0)",
            (now, now, since),
        )
        return cursor.rowcount
