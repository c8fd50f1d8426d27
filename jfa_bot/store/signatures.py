"""Signatures, their counters, referrals and milestones.

Signing is one transaction: the signature, its consent record, the optional updates
subscription, the counters (total, per country, per day) and any milestone crossed are
written together, so the count never drifts and a crash never leaves half a signature.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

import aiosqlite

from jfa_bot.store.db import Database, utc_now
from jfa_bot.store.sent_exports import SentExports

__all__ = [
    "NewSignature",
    "SignResult",
    "Signature",
    "SignatureCounts",
    "Signatures",
    "Visibility",
]

_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 8


class Visibility(StrEnum):
    """Whether a signer's name may appear in the list handed to governments."""

    PUBLIC = "public"
    WITHHELD = "withheld"


@dataclass(frozen=True, slots=True)
class NewSignature:
    """What a signer gave us on the consent screen."""

    user_id: int
    name: str
    country: str
    organisation: str | None
    visibility: Visibility
    locale: str
    petition_version: str
    consent_version: str
    signed_day: str
    wants_updates: bool
    referrer_code: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Signature:
    """A stored signature."""

    user_id: int
    number: int
    signed_at: str
    signed_day: str
    petition_version: str
    consent_version: str
    locale: str
    name: str | None  # None once anonymised
    country: str
    organisation: str | None
    visibility: Visibility
    referral_code: str
    referred_by: int | None
    source: str | None
    anonymised_at: str | None = None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Signature:
        """Build a record from a `signatures` row."""
        values = {key: row[key] for key in cls.__slots__}
        values["visibility"] = Visibility(values["visibility"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class SignResult:
    """The signature and whether this call created it (False: it already existed)."""

    signature: Signature
    created: bool
    total: int


@dataclass(frozen=True, slots=True)
class SignatureCounts:
    """The live count: total, countries, top countries and today."""

    total: int
    countries: int
    top: tuple[tuple[str, int], ...]
    today: int


def _new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


async def _one(conn: aiosqlite.Connection, sql: str, params: Sequence[object]) -> aiosqlite.Row:
    async with conn.execute(sql, tuple(params)) as cursor:
        row = await cursor.fetchone()
    assert row is not None, sql
    return row


class Signatures:
    """Queries on signatures and their counters."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def sign(self, new: NewSignature, *, milestones: Sequence[int] = ()) -> SignResult:
        """Store a signature once per user, with its consents and counters, atomically."""
        now = utc_now()
        # Durable: the signer is told "You are signer #N" once this returns.
        async with self._db.transaction(durable=True) as conn:
            async with conn.execute(
                "SELECT * FROM signatures WHERE user_id = ?", (new.user_id,)
            ) as cursor:
                existing = await cursor.fetchone()
            if existing is not None:
                total = (
                    await _one(conn, "SELECT value FROM counters WHERE name='signatures'", ())
                )[0]
                return SignResult(Signature.from_row(existing), created=False, total=total)
            number = (
                await _one(
                    conn,
                    "UPDATE counters SET value = value + 1 WHERE name = 'next_number' "
                    "RETURNING value - 1",
                    (),
                )
            )[0]
            referred_by = None
            if new.referrer_code:
                async with conn.execute(
                    "SELECT user_id FROM signatures WHERE referral_code = ? AND user_id != ?",
                    (new.referrer_code, new.user_id),
                ) as cursor:
                    row = await cursor.fetchone()
                referred_by = None if row is None else row[0]
            row = await self._insert(conn, new, number, referred_by, now)
            total = (
                await _one(
                    conn,
                    "UPDATE counters SET value = value + 1 WHERE name = 'signatures' "
                    "RETURNING value",
                    (),
                )
            )[0]
            await conn.execute(
                "INSERT INTO country_counts (country, count) VALUES (?, 1) "
                "ON CONFLICT (country) DO UPDATE SET count = count + 1",
                (new.country,),
            )
            await conn.execute(
                "INSERT INTO daily_counts (day, count) VALUES (?, 1) "
                "ON CONFLICT (day) DO UPDATE SET count = count + 1",
                (new.signed_day,),
            )
            await conn.execute(
                "INSERT INTO consents (user_id, kind, given, version, at) "
                "VALUES (?, 'petition', 1, ?, ?)",
                (new.user_id, new.consent_version, now),
            )
            if new.wants_updates:
                await conn.execute(
                    "INSERT INTO consents (user_id, kind, given, version, at) "
                    "VALUES (?, 'updates', 1, ?, ?)",
                    (new.user_id, new.consent_version, now),
                )
                await conn.execute(
                    "INSERT OR IGNORE INTO subscriptions (user_id, since, locale) "
                    "VALUES (?, ?, ?)",
                    (new.user_id, now, new.locale),
                )
            if total in milestones:
                await conn.execute(
                    "INSERT OR IGNORE INTO milestones (threshold, reached_at) VALUES (?, ?)",
                    (total, now),
                )
            await conn.execute("DELETE FROM flows WHERE user_id = ?", (new.user_id,))
        return SignResult(Signature.from_row(row), created=True, total=total)

    async def _insert(
        self,
        conn: aiosqlite.Connection,
        new: NewSignature,
        number: int,
        referred_by: int | None,
        now: str,
    ) -> aiosqlite.Row:
        """Insert the row with a fresh unique share code (retrying the rare collision)."""
        for _attempt in range(10):
            try:
                return await _one(
                    conn,
                    """
                    INSERT INTO signatures (user_id, number, signed_at, signed_day,
                        petition_version, consent_version, locale, name, country,
                        organisation, visibility, referral_code, referred_by, source)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    RETURNING *
                    """,
                    (
                        new.user_id,
                        number,
                        now,
                        new.signed_day,
                        new.petition_version,
                        new.consent_version,
                        new.locale,
                        new.name,
                        new.country,
                        new.organisation,
                        new.visibility.value,
                        _new_code(),
                        referred_by,
                        new.source,
                    ),
                )
            except sqlite3.IntegrityError as error:
                if "referral_code" not in str(error):
                    raise
        raise RuntimeError("could not draw a unique referral code")

    async def get(self, user_id: int) -> Signature | None:
        """Return the user's signature, or None."""
        row = await self._db.fetchone("SELECT * FROM signatures WHERE user_id = ?", (user_id,))
        return None if row is None else Signature.from_row(row)

    async def set_visibility(self, user_id: int, visibility: Visibility) -> bool:
        """Change whether the name is handed over; False if the user has not signed."""
        async with self._db.transaction(durable=True) as conn:
            shown_since = (
                await SentExports.name_shown_since_in(conn, user_id)
                if visibility is Visibility.WITHHELD
                else None
            )
            cursor = await conn.execute(
                # A name put back on the list is in the exports sent from now on only.
                "UPDATE signatures SET visibility = ?, listed_since = CASE "
                "WHEN ? = 'public' AND visibility = 'withheld' THEN ? ELSE listed_since END "
                "WHERE user_id = ?",
                (visibility.value, visibility.value, utc_now(), user_id),
            )
            # Organizers' exports that may hold the name go too (see SentExports).
            await SentExports.taken_back_in(conn, shown_since)
            return cursor.rowcount == 1

    async def set_organisation(self, user_id: int, organisation: str | None) -> bool:
        """Change or remove the organisation; False if the user has not signed.

        An erasure-class write: the old organisation must not stay in the log.
        """
        async with self._db.erasing("organisation") as conn:
            cursor = await conn.execute(
                "UPDATE signatures SET organisation = ? WHERE user_id = ?",
                (organisation, user_id),
            )
            return cursor.rowcount == 1

    async def withdraw(self, user_id: int) -> bool:
        """Remove the user's signature and update the counters; False if there was none."""
        async with self._db.erasing("withdraw") as conn:
            shown_since = await SentExports.name_shown_since_in(conn, user_id)
            removed = await self.remove_in(conn, user_id)
            await SentExports.taken_back_in(conn, shown_since)  # exports that may hold it
            if removed:
                await conn.execute(
                    "INSERT INTO consents (user_id, kind, given, at) VALUES (?, 'petition', 0, ?)",
                    (user_id, utc_now()),
                )
        return removed

    @staticmethod
    async def remove_in(conn: aiosqlite.Connection, user_id: int) -> bool:
        """Delete a signature inside an open transaction, keeping the counters right."""
        async with conn.execute(
            "DELETE FROM signatures WHERE user_id = ? RETURNING country, signed_day", (user_id,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return False
        await conn.execute("UPDATE counters SET value = value - 1 WHERE name = 'signatures'")
        await conn.execute(
            "UPDATE country_counts SET count = count - 1 WHERE country = ?", (row["country"],)
        )
        await conn.execute(
            "UPDATE daily_counts SET count = count - 1 WHERE day = ?", (row["signed_day"],)
        )
        return True

    async def counts(self, today: str, *, top: int = 10, min_count: int = 1) -> SignatureCounts:
        """Return the live count from the maintained counters: one round trip, constant time.

        `top` lists only countries with at least `min_count` signers: public answers pass
        a floor so that no country with one or two signers is named.
        """
        row = await self._db.fetchone(
            """
            SELECT (SELECT value FROM counters WHERE name = 'signatures'),
                   (SELECT COUNT(*) FROM country_counts WHERE count > 0),
                   (SELECT count FROM daily_counts WHERE day = :today),
                   (SELECT json_group_array(json_array(country, count)) FROM (
                        SELECT country, count FROM country_counts
                        WHERE count > 0 AND count >= :min_count
                        ORDER BY count DESC, country LIMIT :top))
            """,
            {"today": today, "top": top, "min_count": min_count},
        )
        assert row is not None
        return SignatureCounts(
            total=int(row[0] or 0),
            countries=int(row[1] or 0),
            top=tuple((str(code), int(n)) for code, n in json.loads(row[3] or "[]")),
            today=int(row[2] or 0),
        )

    async def total(self) -> int:
        """Return the number of signatures."""
        return int(
            await self._db.scalar("SELECT value FROM counters WHERE name = 'signatures'") or 0
        )

    async def referrals(self, user_id: int) -> tuple[int, int]:
        """Return (direct, all generations) signers who came through the user's link."""
        row = await self._db.fetchone(
            """
            WITH RECURSIVE chain(user_id, depth) AS (
                SELECT user_id, 1 FROM signatures WHERE referred_by = :me
                UNION
                SELECT s.user_id, chain.depth + 1
                FROM signatures AS s JOIN chain ON s.referred_by = chain.user_id
                WHERE chain.depth < 50
            )
            SELECT COUNT(*) FILTER (WHERE depth = 1), COUNT(DISTINCT user_id) FROM chain
            """,
            {"me": user_id},
        )
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    async def milestones(self) -> list[tuple[int, str, bool]]:
        """Return the milestones reached: threshold, time, announced."""
        rows = await self._db.fetchall(
            "SELECT threshold, reached_at, announced FROM milestones ORDER BY threshold"
        )
        return [(int(r[0]), str(r[1]), bool(r[2])) for r in rows]

    async def unannounced_milestones(self) -> list[int]:
        """Return thresholds reached but not yet announced."""
        rows = await self._db.fetchall(
            "SELECT threshold FROM milestones WHERE announced = 0 ORDER BY threshold"
        )
        return [int(row[0]) for row in rows]

    async def mark_announced(self, threshold: int) -> bool:
        """Mark a milestone announced; False if it already was (announce exactly once)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE milestones SET announced = 1 WHERE threshold = ? AND announced = 0",
                (threshold,),
            )
            return cursor.rowcount == 1

    async def iterate(self, page: int = 1000) -> AsyncIterator[list[Signature]]:
        """Yield every signature in signer-number order, a page at a time (never all at once)."""
        after = 0
        while True:
            rows = await self._db.fetchall(
                "SELECT * FROM signatures WHERE number > ? ORDER BY number LIMIT ?", (after, page)
            )
            if not rows:
                return
            batch = [Signature.from_row(row) for row in rows]
            yield batch
            after = batch[-1].number

    async def anonymise_before(self, cutoff: str) -> int:
        """Remove names and organisations of signatures made before `cutoff` (UTC ISO).

        The copies in request records (the webinar form repeats the signature's name) go
        too: those made before the cutoff, and any of a signer whose name is removed now.
        """
        async with self._db.erasing("retention") as conn:
            await conn.execute(
                "UPDATE requests SET name = NULL, organisation = NULL "
                "WHERE (name IS NOT NULL OR organisation IS NOT NULL) AND (at < ? OR user_id IN "
                "(SELECT user_id FROM signatures WHERE signed_at < ?))",
                (cutoff, cutoff),
            )
            cursor = await conn.execute(
                "UPDATE signatures SET name = NULL, organisation = NULL, anonymised_at = ? "
                "WHERE signed_at < ? AND anonymised_at IS NULL",
                (utc_now(), cutoff),
            )
            return cursor.rowcount
