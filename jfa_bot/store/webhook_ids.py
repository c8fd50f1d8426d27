"""The webhook's memory of update ids received, kept across restarts.

Saved as one row: the floor (ids at or below it are refused) and the ids received above
it as ranges ("100-140,142"). Telegram's ids grow one by one, so the ranges stay short;
the ids Telegram has not yet delivered are the gaps, and stay acceptable.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from jfa_bot.store.db import Database, utc_now

__all__ = ["SavedIds", "WebhookIds", "as_ranges", "from_ranges"]

log = logging.getLogger(__name__)


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


_RANGE = re.compile(r"([0-9]+)(?:-([0-9]+))?")


def from_ranges(text: str, most: int | None = None) -> list[int]:
    """Return the ids of compact ranges, ascending: "5-7,9" -> [5, 6, 7, 9].

    Raise ValueError for anything `as_ranges` does not write (a damaged row): a part that
    is not "N" or "N-M" with N <= M, or more than `most` ids in all (counted before any
    is expanded, so "1-999999999999" costs nothing).
    """
    bounds: list[tuple[int, int]] = []
    total = 0
    for part in filter(None, text.split(",")):
        match = _RANGE.fullmatch(part)
        if match is None:
            raise ValueError(f"not an id range: {part[:40]!r}")
        low = int(match[1])
        high = int(match[2] or low)
        if high < low:
            raise ValueError(f"an empty id range: {part[:40]!r}")
        total += high - low + 1
        if most is not None and total > most:
            raise ValueError(f"more than {most} ids")
        bounds.append((low, high))
    return [value for low, high in bounds for value in range(low, high + 1)]


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

    async def load(self, most: int | None = None) -> SavedIds | None:
        """Return the saved memory, or None if the webhook never saved one.

        Ids above the floor that cannot be read (a damaged row, or more than `most`) are
        left out with a warning: the bot must still start, and the floor still holds.
        """
        row = await self._db.fetchone(
            "SELECT floor, recent, received_at FROM webhook_ids WHERE id = 1"
        )
        if row is None:
            return None
        floor = None if row[0] is None else int(row[0])
        try:
            recent = from_ranges(str(row[1]), most)
        except ValueError as error:
            log.warning("The saved webhook update ids are damaged and were left out: %s", error)
            recent = []
        return SavedIds(floor, recent, row[2])

    async def save(
        self, floor: int | None, recent: Iterable[int], received_at: str | None
    ) -> None:
        """Replace the saved memory."""
        await self._db.execute(
            "INSERT OR REPLACE INTO webhook_ids (id, floor, recent, received_at, saved_at) "
            "VALUES (1, ?, ?, ?, ?)",
            (floor, as_ranges(recent), received_at, utc_now()),
        )
