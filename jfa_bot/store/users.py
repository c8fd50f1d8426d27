"""Users: who has talked to the bot, their language and how they first arrived."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from jfa_bot.store.db import Database, utc_now

__all__ = ["User", "Users"]


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
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
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
            row = await cursor.fetchone()
            await cursor.close()
        assert row is not None  # RETURNING always yields the upserted row
        return User.from_row(row)

    async def get(self, user_id: int) -> User | None:
        """Return the user, or None if unknown."""
        row = await self._db.fetchone("SELECT * FROM users WHERE user_id = ?", (user_id,))
        return None if row is None else User.from_row(row)

    async def set_locale(self, user_id: int, locale: str) -> None:
        """Store the language the user chose."""
        await self._db.execute(
            "UPDATE users SET locale = ?, last_seen = ? WHERE user_id = ?",
            (locale, utc_now(), user_id),
        )

    async def count(self) -> int:
        """Return how many users the bot has seen."""
        return int(await self._db.scalar("SELECT COUNT(*) FROM users") or 0)
