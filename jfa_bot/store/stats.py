"""Figures for organizers: totals, days, countries, sources, referral generations."""

from __future__ import annotations

from dataclasses import dataclass

from jfa_bot.store.db import Database

__all__ = ["CampaignStats", "Stats"]


@dataclass(frozen=True, slots=True)
class CampaignStats:
    """Everything /stats and `jfa-bot stats` show."""

    total: int
    today: int
    last_7_days: int
    per_day: tuple[tuple[str, int], ...]
    countries: tuple[tuple[str, int], ...]
    sources: tuple[tuple[str, int], ...]
    generations: tuple[tuple[int, int], ...]
    withheld: int
    subscribers: int
    blocked: int
    requests: tuple[tuple[str, str, int], ...]  # kind, country ('' if none), count


class Stats:
    """Read-only aggregate queries (none of them on a user's hot path)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def collect(self, today: str, week_start: str) -> CampaignStats:
        """Return the campaign's figures; `today` and `week_start` are local ISO dates."""
        db = self._db
        total = int(await db.scalar("SELECT value FROM counters WHERE name = 'signatures'") or 0)
        day_rows = await db.fetchall(
            "SELECT day, count FROM daily_counts WHERE count > 0 ORDER BY day"
        )
        per_day = tuple((str(r[0]), int(r[1])) for r in day_rows)
        countries = await db.fetchall(
            "SELECT country, count FROM country_counts WHERE count > 0 "
            "ORDER BY count DESC, country"
        )
        sources = await db.fetchall(
            "SELECT COALESCE(source, ''), COUNT(*) FROM signatures GROUP BY 1 ORDER BY 2 DESC"
        )
        generations = await db.fetchall(
            """
            WITH RECURSIVE tree(user_id, generation) AS (
                SELECT user_id, 0 FROM signatures WHERE referred_by IS NULL
                UNION ALL
                SELECT s.user_id, tree.generation + 1
                FROM signatures AS s JOIN tree ON s.referred_by = tree.user_id
                WHERE tree.generation < 100
            )
            SELECT generation, COUNT(*) FROM tree GROUP BY generation ORDER BY generation
            """
        )
        requests = await db.fetchall(
            "SELECT kind, COALESCE(country, ''), COUNT(*) FROM requests "
            "GROUP BY 1, 2 ORDER BY 1, 3 DESC"
        )
        return CampaignStats(
            total=total,
            today=sum(n for day, n in per_day if day == today),
            last_7_days=sum(n for day, n in per_day if day >= week_start),
            per_day=per_day,
            countries=tuple((str(r[0]), int(r[1])) for r in countries),
            sources=tuple((str(r[0]), int(r[1])) for r in sources),
            generations=tuple((int(r[0]), int(r[1])) for r in generations),
            withheld=int(
                await db.scalar("SELECT COUNT(*) FROM signatures WHERE visibility = 'withheld'")
                or 0
            ),
            subscribers=int(await db.scalar("SELECT COUNT(*) FROM subscriptions") or 0),
            blocked=int(
                await db.scalar("SELECT COUNT(*) FROM users WHERE blocked_at IS NOT NULL") or 0
            ),
            requests=tuple((str(r[0]), str(r[1]), int(r[2])) for r in requests),
        )
