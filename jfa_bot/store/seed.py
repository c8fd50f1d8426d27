"""Bulk sample data for benchmarks and load tests: made in SQL, one statement each.

Never used by the bot itself. Rows look like real ones (consistent counters included),
so the bot's own queries run against them exactly as in production.
"""

from __future__ import annotations

from jfa_bot.store.db import Database, utc_now

__all__ = ["seed_signatures", "seed_subscribers"]

_COUNTRIES = ("KE", "NG", "BR", "IN", "MZ", "AR", "US", "FR", "EG", "TZ")


async def seed_subscribers(db: Database, first_id: int, count: int, locale: str = "en") -> None:
    """Create `count` users from `first_id` on, all subscribed to the spotlight."""
    now = utc_now()
    async with db.transaction() as conn:
        await conn.execute(
            """
            WITH RECURSIVE ids(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM ids WHERE n < ?)
            INSERT OR IGNORE INTO users (user_id, first_seen, last_seen, telegram_language)
            SELECT n, ?, ?, ? FROM ids
            """,
            (first_id, first_id + count - 1, now, now, locale),
        )
        await conn.execute(
            """
            WITH RECURSIVE ids(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM ids WHERE n < ?)
            INSERT OR IGNORE INTO subscriptions (user_id, since, locale) SELECT n, ?, ? FROM ids
            """,
            (first_id, first_id + count - 1, now, locale),
        )


async def seed_signatures(db: Database, first_id: int, count: int, day: str) -> None:
    """Create `count` signed users, with counters kept consistent."""
    now = utc_now()
    countries = ",".join(f"'{c}'" for c in _COUNTRIES)
    async with db.transaction() as conn:
        await conn.execute(
            """
            WITH RECURSIVE ids(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM ids WHERE n < ?)
            INSERT INTO users (user_id, first_seen, last_seen) SELECT n, ?, ? FROM ids
            """,
            (first_id, first_id + count - 1, now, now),
        )
        start = int(
            (
                await (
                    await conn.execute("SELECT value FROM counters WHERE name = 'next_number'")
                ).fetchone()
            )[0]  # type: ignore[index]
        )
        await conn.execute(
            f"""
            WITH RECURSIVE ids(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM ids WHERE n < ?)
            INSERT INTO signatures (user_id, number, signed_at, signed_day, petition_version,
                consent_version, locale, name, country, visibility, referral_code)
            SELECT n, ? + n - ?, ?, ?, 'seed', 'seed', 'en', 'Seed ' || n,
                json_extract(json_array({countries}), '$[' || (n % {len(_COUNTRIES)}) || ']'),
                'public', 'seed' || n
            FROM ids
            """,
            (first_id, first_id + count - 1, start, first_id, now, day),
        )
        await conn.execute(
            "UPDATE counters SET value = value + ? WHERE name IN ('signatures', 'next_number')",
            (count,),
        )
        await conn.execute(
            """
            INSERT INTO country_counts (country, count)
            SELECT country, COUNT(*) FROM signatures WHERE consent_version = 'seed'
                AND user_id BETWEEN ? AND ? GROUP BY country
            ON CONFLICT (country) DO UPDATE SET count = count + excluded.count
            """,
            (first_id, first_id + count - 1),
        )
        await conn.execute(
            "INSERT INTO daily_counts (day, count) VALUES (?, ?) "
            "ON CONFLICT (day) DO UPDATE SET count = count + excluded.count",
            (day, count),
        )
