"""Forms in progress (signing, requests), kept in SQLite so a restart resumes them."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field, replace
from typing import Any

import aiosqlite

from jfa_bot.store.db import Database, utc_now

__all__ = ["Flow", "Flows"]


@dataclass(frozen=True, slots=True)
class Flow:
    """One user's form in progress: which form, which step, the answers so far."""

    user_id: int
    kind: str
    token: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    message_id: int | None = None
    updated_at: str = ""
    #: The answers as the store last read or wrote them (None: unknown). Saving compares
    #: against them, so that a typed answer replaced or dropped is erased from the disk.
    stored: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Flow:
        """Build a record from a `flows` row."""
        data = json.loads(row["data"])
        return cls(
            user_id=row["user_id"],
            kind=row["kind"],
            token=row["token"],
            step=row["step"],
            data=data,
            message_id=row["message_id"],
            updated_at=row["updated_at"],
            stored=dict(data),
        )

    def at(self, step: str, **answers: Any) -> Flow:
        """Return the flow moved to `step` with `answers` merged into its data."""
        return replace(self, step=step, data={**self.data, **answers})


def _drops_typed_text(before: dict[str, Any] | None, after: dict[str, Any]) -> bool:
    """Tell whether saving `after` over `before` replaces or drops a text someone typed.

    Unknown earlier answers count as such a drop: erasing costs a checkpoint, keeping an old
    name in the write-ahead log costs a promise.
    """
    if before is None:
        return True
    return any(
        isinstance(value, str) and value and after.get(key) != value
        for key, value in before.items()
    )


class Flows:
    """Queries on the `flows` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def start(self, user_id: int, kind: str, step: str, data: dict[str, Any]) -> Flow:
        """Begin a form, replacing any earlier one, with a fresh token for its buttons."""
        flow = Flow(
            user_id, kind, secrets.token_hex(3), step, dict(data), None, utc_now(), dict(data)
        )
        # A form being replaced may hold a typed name: dropping it is an erasure.
        async with self._db.erasing("form replaced") as conn:
            await conn.execute("DELETE FROM flows WHERE user_id = ? AND data != '{}'", (user_id,))
        await self._db.execute(
            "INSERT OR REPLACE INTO flows (user_id, kind, token, step, data, message_id, "
            "updated_at) VALUES (?, ?, ?, ?, ?, NULL, ?)",
            (user_id, kind, flow.token, step, json.dumps(flow.data), flow.updated_at),
        )
        return flow

    async def get(self, user_id: int) -> Flow | None:
        """Return the user's form in progress, or None."""
        row = await self._db.fetchone("SELECT * FROM flows WHERE user_id = ?", (user_id,))
        return None if row is None else Flow.from_row(row)

    async def save(self, flow: Flow) -> Flow:
        """Store the flow's step, answers and message; return it with the new time.

        When an answer typed earlier (a name, an organisation, a search) is replaced or
        dropped, the write is an erasure: the old text must not stay in the write-ahead log.
        """
        saved = replace(flow, updated_at=utc_now(), stored=dict(flow.data))
        query = (
            "UPDATE flows SET step = ?, data = ?, message_id = ?, updated_at = ? "
            "WHERE user_id = ? AND token = ?"
        )
        values = (
            saved.step,
            json.dumps(saved.data),
            saved.message_id,
            saved.updated_at,
            saved.user_id,
            saved.token,
        )
        if _drops_typed_text(flow.stored, flow.data):
            async with self._db.erasing("form answer replaced") as conn:
                await conn.execute(query, values)
        else:
            await self._db.execute(query, values)
        return saved

    async def delete(self, user_id: int) -> bool:
        """Drop the user's form; True if there was one.

        An erasure-class write: a form may hold a typed name that was never saved.
        """
        async with self._db.erasing("form") as conn:
            cursor = await conn.execute("DELETE FROM flows WHERE user_id = ?", (user_id,))
            return cursor.rowcount > 0

    async def pop_stale(self, older_than: str) -> list[Flow]:
        """Delete and return every form idle since before `older_than` (UTC ISO time)."""
        async with (
            self._db.erasing("idle form") as conn,
            conn.execute(
                "DELETE FROM flows WHERE updated_at < ? RETURNING *", (older_than,)
            ) as cursor,
        ):
            rows = await cursor.fetchall()
        return [Flow.from_row(row) for row in rows]
