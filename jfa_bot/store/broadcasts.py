"""Broadcasts and their outbox of deliveries, each delivery's state persisted.

A broadcast is fanned out into `deliveries` in one INSERT ... SELECT, so recipients are
never loaded into memory. The sender claims small batches (`pending` → `sending`), sends
them, and records each outcome; after a crash, rows left `sending` are sent again, so a
duplicate is possible only for the batch in flight, whose size is bounded by a setting.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aiosqlite

from jfa_bot.store.db import Database, utc_now

__all__ = [
    "Broadcast",
    "BroadcastKind",
    "BroadcastPost",
    "BroadcastState",
    "Broadcasts",
    "Claimed",
    "DeliveryState",
    "Outcome",
    "Progress",
]


class BroadcastKind(StrEnum):
    """What is being broadcast."""

    SPOTLIGHT = "spotlight"
    CUSTOM = "custom"
    MILESTONE = "milestone"


class BroadcastState(StrEnum):
    """A broadcast's lifecycle (see broadcast/lifecycle.mmd)."""

    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"
    ABORTED = "aborted"


class DeliveryState(StrEnum):
    """One recipient's delivery."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    RETRYABLE = "retryable"


FINAL_BROADCAST_STATES = frozenset(
    {BroadcastState.CANCELLED, BroadcastState.DONE, BroadcastState.ABORTED}
)


@dataclass(frozen=True, slots=True)
class BroadcastPost:
    """What one recipient gets: Telegram HTML, an optional photo, rows of (label, url)."""

    text: str
    photo: str | None = None
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    #: The "stop these posts" button (label, callback data), put under the post last.
    stop: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Broadcast:
    """A broadcast with its frozen per-locale texts (and photos and buttons, if any)."""

    id: int
    kind: BroadcastKind
    label: str
    variants: dict[str, str]
    default_locale: str
    state: BroadcastState
    paid: bool
    created_by: int | None
    report_chat_id: int | None
    report_message_id: int | None
    error: str | None
    created_at: str
    finished_at: str | None
    extras: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Broadcast:
        """Build a record from a `broadcasts` row."""
        return cls(
            id=row["id"],
            kind=BroadcastKind(row["kind"]),
            label=row["label"],
            variants=json.loads(row["variants"]),
            default_locale=row["default_locale"],
            state=BroadcastState(row["state"]),
            paid=bool(row["paid"]),
            created_by=row["created_by"],
            report_chat_id=row["report_chat_id"],
            report_message_id=row["report_message_id"],
            error=row["error"],
            created_at=row["created_at"],
            finished_at=row["finished_at"],
            extras=json.loads(row["extras"]),
        )

    def text_for(self, locale: str) -> str:
        """Return the variant for a recipient's locale, or the default one."""
        return self.variants.get(locale) or self.variants[self.default_locale]

    def post_for(self, locale: str) -> BroadcastPost:
        """Return the whole post for a recipient's locale, or the default one."""
        own = locale if self.variants.get(locale) else self.default_locale
        extra = self.extras.get(own, {})
        return BroadcastPost(
            self.variants[own],
            extra.get("photo"),
            tuple(
                tuple((str(label), str(url)) for label, url in row)
                for row in extra.get("buttons", ())
            ),
        )


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery claimed for sending."""

    user_id: int
    locale: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one send."""

    user_id: int
    state: DeliveryState
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    """Delivery counts of a broadcast, by state and by locale."""

    by_state: dict[str, int]
    by_locale: dict[str, dict[str, int]]

    @property
    def total(self) -> int:
        """Return the number of recipients."""
        return sum(self.by_state.values())

    def count(self, state: DeliveryState) -> int:
        """Return how many deliveries are in a state."""
        return self.by_state.get(state.value, 0)

    @property
    def remaining(self) -> int:
        """Return deliveries not yet sent nor finally failed."""
        return self.count(DeliveryState.PENDING) + self.count(DeliveryState.SENDING)


class Broadcasts:
    """Queries on `broadcasts` and `deliveries`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        kind: BroadcastKind,
        label: str,
        variants: dict[str, str],
        default_locale: str,
        paid: bool = False,
        created_by: int | None = None,
        report_chat_id: int | None = None,
        report_message_id: int | None = None,
        extras: dict[str, dict[str, Any]] | None = None,
    ) -> tuple[Broadcast, int]:
        """Create a running broadcast and fan it out to every subscriber in one statement."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO broadcasts (kind, label, variants, default_locale, state, paid, "
                "created_by, report_chat_id, report_message_id, created_at, extras) "
                "VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                (
                    kind.value,
                    label,
                    json.dumps(variants, ensure_ascii=False),
                    default_locale,
                    int(paid),
                    created_by,
                    report_chat_id,
                    report_message_id,
                    utc_now(),
                    json.dumps(extras or {}, ensure_ascii=False),
                ),
            )
            broadcast_id = int(cursor.lastrowid or 0)
            cursor = await conn.execute(
                """
                INSERT INTO deliveries (broadcast_id, user_id, locale)
                SELECT ?, s.user_id, COALESCE(u.locale, s.locale, ?)
                FROM subscriptions AS s JOIN users AS u USING (user_id)
                WHERE u.blocked_at IS NULL
                """,
                (broadcast_id, default_locale),
            )
            recipients = cursor.rowcount
            async with conn.execute("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,)) as c:
                row = await c.fetchone()
        assert row is not None
        return Broadcast.from_row(row), recipients

    async def get(self, broadcast_id: int) -> Broadcast | None:
        """Return a broadcast, or None."""
        row = await self._db.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return None if row is None else Broadcast.from_row(row)

    async def in_state(self, state: BroadcastState) -> list[Broadcast]:
        """Return the broadcasts in a state, oldest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM broadcasts WHERE state = ? ORDER BY id", (state.value,)
        )
        return [Broadcast.from_row(row) for row in rows]

    async def started_since(self, kind: BroadcastKind, moment: str) -> bool:
        """Tell whether a broadcast of this kind was created at or after `moment` (UTC)."""
        row = await self._db.fetchone(
            "SELECT 1 FROM broadcasts WHERE kind = ? AND created_at >= ? LIMIT 1",
            (kind.value, moment),
        )
        return row is not None

    async def latest(self, limit: int = 10) -> list[Broadcast]:
        """Return the most recent broadcasts, newest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM broadcasts ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [Broadcast.from_row(row) for row in rows]

    async def set_state(
        self, broadcast_id: int, state: BroadcastState, *, error: str | None = None
    ) -> bool:
        """Move a broadcast to a state; False if it had already finished."""
        finished = utc_now() if state in FINAL_BROADCAST_STATES else None
        finals = ", ".join(f"'{s.value}'" for s in FINAL_BROADCAST_STATES)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE broadcasts SET state = ?, error = COALESCE(?, error), "
                f"finished_at = COALESCE(?, finished_at) "
                f"WHERE id = ? AND state NOT IN ({finals})",
                (state.value, error, finished, broadcast_id),
            )
            return cursor.rowcount == 1

    async def set_report_message(self, broadcast_id: int, message_id: int) -> None:
        """Remember the organizer's progress message."""
        await self._db.execute(
            "UPDATE broadcasts SET report_message_id = ? WHERE id = ?", (message_id, broadcast_id)
        )

    async def claim(self, broadcast_id: int, limit: int) -> list[Claimed]:
        """Mark up to `limit` pending deliveries as sending and return them."""
        async with (
            self._db.transaction() as conn,
            conn.execute(
                """
                UPDATE deliveries SET state = 'sending', attempts = attempts + 1
                WHERE broadcast_id = ? AND user_id IN (
                    SELECT user_id FROM deliveries
                    WHERE broadcast_id = ? AND state = 'pending'
                    LIMIT ?
                )
                RETURNING user_id, locale, attempts
                """,
                (broadcast_id, broadcast_id, limit),
            ) as cursor,
        ):
            rows = await cursor.fetchall()
        return [Claimed(row[0], row[1], row[2]) for row in rows]

    async def requeue_in_flight(self, broadcast_id: int) -> int:
        """After a crash: send again what was in flight (it may or may not have arrived)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE deliveries SET state = 'pending' "
                "WHERE broadcast_id = ? AND state = 'sending'",
                (broadcast_id,),
            )
            return cursor.rowcount

    async def record(self, broadcast_id: int, outcomes: Sequence[Outcome]) -> None:
        """Store the outcome of a batch of sends, and unsubscribe users who blocked the bot."""
        if not outcomes:
            return
        now = utc_now()
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE deliveries SET state = ?, error = ? "
                "WHERE broadcast_id = ? AND user_id = ?",
                [(o.state.value, o.error, broadcast_id, o.user_id) for o in outcomes],
            )
            blocked = [(o.user_id,) for o in outcomes if o.state is DeliveryState.BLOCKED]
            if blocked:
                await conn.executemany("DELETE FROM subscriptions WHERE user_id = ?", blocked)
                await conn.executemany(
                    "UPDATE users SET blocked_at = ? WHERE user_id = ?",
                    [(now, user_id) for (user_id,) in blocked],
                )
                await conn.executemany(
                    "INSERT INTO consents (user_id, kind, given, version, at) "
                    "SELECT ?, 'updates', 0, 'blocked-the-bot', ? "
                    "WHERE EXISTS (SELECT 1 FROM users WHERE user_id = ?)",
                    [(user_id, now, user_id) for (user_id,) in blocked],
                )

    async def retry_failed(self, broadcast_id: int) -> int:
        """Put retryable deliveries back in the queue; return how many."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE deliveries SET state = 'pending', attempts = 0 "
                "WHERE broadcast_id = ? AND state = 'retryable'",
                (broadcast_id,),
            )
            return cursor.rowcount

    async def progress(self, broadcast_id: int) -> Progress:
        """Return the delivery counts by state and by locale."""
        rows = await self._db.fetchall(
            "SELECT locale, state, COUNT(*) FROM deliveries WHERE broadcast_id = ? "
            "GROUP BY locale, state",
            (broadcast_id,),
        )
        by_state: dict[str, int] = {}
        by_locale: dict[str, dict[str, int]] = {}
        for locale, state, count in rows:
            by_state[state] = by_state.get(state, 0) + count
            by_locale.setdefault(locale, {})[state] = count
        return Progress(by_state, by_locale)

    async def subscribers_by_locale(self, default_locale: str) -> dict[str, int]:
        """Count current subscribers by the locale a broadcast would use for them."""
        rows = await self._db.fetchall(
            "SELECT COALESCE(u.locale, s.locale, ?) AS locale, COUNT(*) "
            "FROM subscriptions AS s JOIN users AS u USING (user_id) "
            "WHERE u.blocked_at IS NULL GROUP BY 1",
            (default_locale,),
        )
        return {row[0]: int(row[1]) for row in rows}
