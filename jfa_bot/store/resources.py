"""Uploaded-file ids and defenders' requests for the Action Pack and the webinar."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jfa_bot.store.db import Database, utc_now

__all__ = ["NewRequest", "RequestKind", "Requests", "TelegramFiles", "Usage"]


class RequestKind(StrEnum):
    """What was requested."""

    ACTION_PACK = "action_pack"
    WEBINAR = "webinar"


class Usage(StrEnum):
    """How a defender plans to use the Action Pack."""

    LOCAL_ADVOCACY = "local_advocacy"
    TRAINING = "training"
    NATIONAL_ACTION_PLAN = "national_action_plan"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A request as given, with consent to keep it."""

    user_id: int
    kind: RequestKind
    locale: str
    consent_version: str
    name: str | None = None
    organisation: str | None = None
    country: str | None = None
    usage: Usage | None = None
    usage_other: str | None = None


class TelegramFiles:
    """The `telegram_files` cache: one file_id per file and content hash."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str, sha256: str) -> str | None:
        """Return the file_id uploaded for exactly this content, or None."""
        value = await self._db.scalar(
            "SELECT file_id FROM telegram_files WHERE key = ? AND sha256 = ?", (key, sha256)
        )
        return None if value is None else str(value)

    async def put(self, key: str, sha256: str, file_id: str) -> None:
        """Remember the file_id Telegram gave for this content."""
        await self._db.execute(
            "INSERT INTO telegram_files (key, sha256, file_id, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET sha256 = excluded.sha256, "
            "file_id = excluded.file_id, updated_at = excluded.updated_at",
            (key, sha256, file_id, utc_now()),
        )

    async def forget(self, key: str) -> None:
        """Drop a file_id Telegram no longer accepts."""
        await self._db.execute("DELETE FROM telegram_files WHERE key = ?", (key,))


class Requests:
    """Queries on `requests`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, new: NewRequest) -> int:
        """Record a request; return its id."""
        async with self._db.transaction(durable=True) as conn:
            cursor = await conn.execute(
                "INSERT INTO requests (user_id, kind, name, organisation, country, usage, "
                "usage_other, locale, consent_version, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new.user_id,
                    new.kind.value,
                    new.name,
                    new.organisation,
                    new.country,
                    new.usage.value if new.usage else None,
                    new.usage_other,
                    new.locale,
                    new.consent_version,
                    utc_now(),
                ),
            )
            return int(cursor.lastrowid or 0)

    async def has(self, user_id: int, kind: RequestKind) -> bool:
        """Tell whether the user already made this kind of request."""
        row = await self._db.fetchone(
            "SELECT 1 FROM requests WHERE user_id = ? AND kind = ? LIMIT 1", (user_id, kind.value)
        )
        return row is not None

    async def count(self, kind: RequestKind) -> int:
        """Return how many requests of this kind were made."""
        return int(
            await self._db.scalar("SELECT COUNT(*) FROM requests WHERE kind = ?", (kind.value,))
            or 0
        )
