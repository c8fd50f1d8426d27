"""The webhook's memory of update ids received, kept across restarts.

Saved as one row: the floor (ids at or below it are refused) and the ids received above
it as ranges ("100-140,142"). Telegram's ids grow one by one, so the ranges stay short;
the ids Telegram has not yet delivered are the gaps, and stay acceptable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jfa_bot.store.db import Database, utc_now

__all__ = ["SavedIds", "WebhookIds", "as_ranges", "from_ranges"]


def as_ranges(ids: Iterable[int]) -> str:
    """Return sorted ids as compact ranges: [5, 6, 7, 9] -> "5-7,9"."""
    parts: list[str] = []
    ordered = sorted(set(ids))
    start = previous = None
    for value in ordered:
        if previous is not None and value == previous + 1:
            previous = value
            continue
        if start is not None:
            parts.append(f"{start}" if start == previous else f"{start}-{previous}")
        start = previous = value
    if start is not None:
        parts.append(f"{start}" if start == previous else f"{start}-{previous}")
    return ",".join(parts)


def from_ranges(text: str) -> list[int]:
    """Return the ids of compact ranges, ascending: "5-7,9" -> [5, 6, 7, 9]."""
    ids: list[int] = []
    for part in filter(None, text.split(",")):
        low, _, high = part.partition("-")
        ids.extend(range(int(low), int(high or low) + 1))
    return ids


@dataclass(frozen=True, slots=True)
class SavedIds:
    """What the webhook remembered when it last saved."""

    floor: int | None
    recent: list[int]  # ascending
    received_at: str | None  # UTC, ISO 8601


class WebhookIds:
    """Load and save the webhook's replay memory (one row)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self) -> SavedIds | None:
        """Return the saved memory, or None if the webhook never saved one."""
        row = await self._db.fetchone(
            "SELECT floor, recent, received_at FROM webhook_ids WHERE id = 1"
        )
        if row is None:
            return None
        floor = None if row[0] is None else int(row[0])
        return SavedIds(floor, from_ranges(str(row[1])), row[2])

    async def save(
        self, floor: int | None, recent: Iterable[int], received_at: str | None
    ) -> None:
        """Replace the saved memory."""
        await self._db.execute(
            "INSERT OR REPLACE INTO webhook_ids (id, floor, recent, received_at, saved_at) "
            "VALUES (1, ?, ?, ?, ?)",
            (floor, as_ranges(recent), received_at, utc_now()),
        )
