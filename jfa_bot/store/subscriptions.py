"""The weekly spotlight subscription, each change recorded as a consent."""

from __future__ import annotations

from jfa_bot.store.db import Database, utc_now

__all__ = ["Subscriptions"]


class Subscriptions:
    """Queries on `subscriptions` and the `updates` consents."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def subscribe(self, user_id: int, locale: str, version: str) -> bool:
        """Subscribe the user; False if they already were."""
        now = utc_now()
        async with self._db.transaction(durable=True) as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO subscriptions (user_id, since, locale) VALUES (?, ?, ?)",
                (user_id, now, locale),
            )
            if cursor.rowcount == 0:
                return False
            await conn.execute(
                "INSERT INTO consents (user_id, kind, given, version, at) "
                "VALUES (?, 'updates', 1, ?, ?)",
                (user_id, version, now),
            )
            # Whoever subscribes is talking to the bot: a past block no longer holds.
            await conn.execute("UPDATE users SET blocked_at = NULL WHERE user_id = ?", (user_id,))
        return True

    async def unsubscribe(self, user_id: int) -> bool:
        """Unsubscribe the user; False if they were not subscribed."""
        async with self._db.transaction(durable=True) as conn:
            cursor = await conn.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
            if cursor.rowcount == 0:
                return False
            await conn.execute(
                "INSERT INTO consents (user_id, kind, given, at) VALUES (?, 'updates', 0, ?)",
                (user_id, utc_now()),
            )
        return True

    async def any_since_before(self, moment: str) -> bool:
        """Tell whether someone subscribed before `moment` (UTC, as stored) is still subscribed."""
        row = await self._db.fetchone(
            "SELECT 1 FROM subscriptions WHERE since < ? LIMIT 1", (moment,)
        )
        return row is not None

    async def is_subscribed(self, user_id: int) -> bool:
        """Tell whether the user receives the weekly spotlight."""
        row = await self._db.fetchone("SELECT 1 FROM subscriptions WHERE user_id = ?", (user_id,))
        return row is not None
