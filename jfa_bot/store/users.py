"""Users: who has talked to the bot, their language and how they first arrived."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

import aiosqlite

from jfa_bot.store.db import Database, utc_now

__all__ = ["User", "Users"]

_TOUCH_EVERY = 300.0  # seconds between two `last_seen` writes for an active user
_RECENT_LIMIT = 10_000  # users kept in memory


@dataclass(frozen=True, slots=True)
class User:
    """A person who has talked to the bot; no names are kept here."""

    user_id: int
    first_seen: str
    last_seen: str
    locale: str | None
    telegram_language: str | None
    source: str | None
    referrer_code: str | None
    blocked_at: str | None = None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> User:
        """Build a record from a `users` row."""
        return cls(*(row[key] for key in cls.__slots__))


class Users:
    """Queries on the `users` table."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._recent: OrderedDict[int, tuple[User, float]] = OrderedDict()

    async def touch(
        self,
        user_id: int,
        telegram_language: str | None,
        *,
        source: str | None = None,
        referrer_code: str | None = None,
    ) -> User:
        """Record that the user was seen now; keep the first source and referrer only."""
        now = utc_now()
        rows = await self._db.write_returning(
            """
            INSERT INTO users (user_id, first_seen, last_seen, telegram_language,
                               source, referrer_code)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET
                last_seen = excluded.last_seen,
                blocked_at = NULL,
                telegram_language = COALESCE(excluded.telegram_language,
                                             users.telegram_language),
                source = COALESCE(users.source, excluded.source),
                referrer_code = COALESCE(users.referrer_code, excluded.referrer_code)
            RETURNING *
            """,
            (user_id, now, now, telegram_language, source, referrer_code),
        )
        user = User.from_row(rows[0])
        self._remember(user)
        return user

    async def seen(self, user_id: int, telegram_language: str | None) -> User:
        """Return the user for an incoming update, writing `last_seen` at most every few minutes.

        Every update needs the user's language; re-reading and re-writing the row each time
        would be most of the bot's database work, so recent users are served from memory.
        """
        cached = self._recent.get(user_id)
        if cached is not None:
            user, at = cached
            fresh = time.monotonic() - at < _TOUCH_EVERY
            if fresh and telegram_language in (None, user.telegram_language):
                self._recent.move_to_end(user_id)
                return user
        return await self.touch(user_id, telegram_language)

    def _remember(self, user: User) -> None:
        self._recent[user.user_id] = (user, time.monotonic())
        self._recent.move_to_end(user.user_id)
        while len(self._recent) > _RECENT_LIMIT:
            self._recent.popitem(last=False)

    def forget_cached(self, user_id: int) -> None:
        """Drop the user from the in-memory cache (after an erasure)."""
        self._recent.pop(user_id, None)

    async def get(self, user_id: int) -> User | None:
        """Return the user, or None if unknown."""
        row = await self._db.fetchone("SELECT * FROM users WHERE user_id = ?", (user_id,))
        return None if row is None else User.from_row(row)

    async def set_locale(self, user_id: int, locale: str) -> None:
        """Store the language the user chose."""
        rows = await self._db.write_returning(
            "UPDATE users SET locale = ?, last_seen = ? WHERE user_id = ? RETURNING *",
            (locale, utc_now(), user_id),
        )
        if rows:
            self._remember(User.from_row(rows[0]))

    async def mark_blocked(self, user_id: int) -> bool:
        """Record that the user blocked the bot: unsubscribed, with a consent record.

        Return False if the user is unknown.
        """
        now = utc_now()
        self.forget_cached(user_id)  # the cached row says "not blocked"
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE users SET blocked_at = ? WHERE user_id = ?", (now, user_id)
            )
            if cursor.rowcount == 0:
                return False
            cursor = await conn.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
            if cursor.rowcount:
                await conn.execute(
                    "INSERT INTO consents (user_id, kind, given, version, at) "
                    "VALUES (?, 'updates', 0, 'blocked-the-bot', ?)",
                    (user_id, now),
                )
        return True

    async def count(self) -> int:
        """Return how many users the bot has seen."""
        return int(await self._db.scalar("SELECT COUNT(*) FROM users") or 0)
