"""The audit log of organizers' actions."""

from __future__ import annotations

from dataclasses import dataclass

from jfa_bot.store.db import Database, utc_now

__all__ = ["Audit", "AuditEntry"]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One organizer action."""

    at: str
    actor: int | None
    action: str
    detail: str | None


class Audit:
    """Queries on `audit`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, actor: int | None, action: str, detail: str | None = None) -> None:
        """Record an action."""
        await self._db.execute(
            "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
            (utc_now(), actor, action, detail),
        )

    async def latest(self, limit: int = 20) -> list[AuditEntry]:
        """Return the latest actions, newest first."""
        rows = await self._db.fetchall(
            "SELECT at, actor, action, detail FROM audit ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [AuditEntry(r[0], r[1], r[2], r[3]) for r in rows]
