"""A person's own data: everything we hold about them, and erasing all of it.

The export is everything about the person and nothing about anyone else: who shared the
link they came through is not theirs to see (only that they came through one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jfa_bot.store.db import Database, utc_now
from jfa_bot.store.sent_exports import SentExports
from jfa_bot.store.signatures import Signatures
from jfa_bot.store.users import Users

__all__ = ["NamedMessage", "PersonalData"]

# The columns exported, table by table: a person's own values only (no other user's id,
# no other user's share code).
_PROFILE = ("user_id", "first_seen", "last_seen", "locale", "telegram_language", "source")
_SIGNATURE = (
    "number",
    "signed_at",
    "signed_day",
    "petition_version",
    "consent_version",
    "locale",
    "name",
    "country",
    "organisation",
    "visibility",
    "referral_code",
    "source",
    "anonymised_at",
    "listed_since",
)


@dataclass(frozen=True, slots=True)
class NamedMessage:
    """A message of the bot that shows the person's name."""

    chat_id: int
    message_id: int


class PersonalData:
    """Export and erasure of one user's rows."""

    def __init__(self, db: Database, signatures: Signatures, users: Users) -> None:
        self._db = db
        self._signatures = signatures
        self._users = users

    async def _row(self, table: str, columns: tuple[str, ...], user_id: int) -> Any:
        row = await self._db.fetchone(
            f"SELECT {', '.join(columns)} FROM {table} WHERE user_id = ?", (user_id,)
        )
        return None if row is None else dict(row)

    async def export(self, user_id: int) -> dict[str, Any]:
        """Return everything stored about the user, as plain JSON-ready data."""
        data: dict[str, Any] = {}
        profile = await self._row("users", (*_PROFILE, "referrer_code", "blocked_at"), user_id)
        if profile is not None:
            profile["came_through_a_share_link"] = profile.pop("referrer_code") is not None
        data["profile"] = profile
        signature = await self._row("signatures", _SIGNATURE, user_id)
        if signature is not None:
            signature["came_through_a_share_link"] = (
                await self._db.scalar(
                    "SELECT referred_by IS NOT NULL FROM signatures WHERE user_id = ?", (user_id,)
                )
                == 1
            )
        data["signature"] = signature
        data["weekly_spotlight_subscription"] = await self._row(
            "subscriptions", ("since", "locale"), user_id
        )
        data["form_in_progress"] = await self._row(
            "flows", ("kind", "step", "data", "updated_at"), user_id
        )
        consents = await self._db.fetchall(
            "SELECT kind, given, version, at FROM consents WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        data["consents"] = [
            {"kind": r["kind"], "given": bool(r["given"]), "version": r["version"], "at": r["at"]}
            for r in consents
        ]
        requests = await self._db.fetchall(
            "SELECT kind, name, organisation, country, usage, usage_other, locale, "
            "consent_version, at FROM requests WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        data["requests"] = [dict(r) for r in requests]
        deliveries = await self._db.fetchall(
            "SELECT b.kind, b.label, b.created_at, d.locale, d.state, d.attempts "
            "FROM deliveries AS d JOIN broadcasts AS b ON b.id = d.broadcast_id "
            "WHERE d.user_id = ? ORDER BY d.broadcast_id",
            (user_id,),
        )
        data["messages_sent_to_you"] = [dict(r) for r in deliveries]
        direct, total = await self._signatures.referrals(user_id)
        data["people_who_signed_through_your_link"] = {"directly": direct, "in_all": total}
        return data

    async def remember_message(self, user_id: int, chat_id: int, message_id: int) -> None:
        """Note that a message of the bot shows the user's name (for /forget)."""
        await self._db.execute(
            "INSERT OR IGNORE INTO named_messages (user_id, chat_id, message_id, at) "
            "VALUES (?, ?, ?, ?)",
            (user_id, chat_id, message_id, utc_now()),
        )

    async def named_messages(self, user_id: int) -> list[NamedMessage]:
        """Return the bot's messages that show the user's name, oldest first."""
        rows = await self._db.fetchall(
            "SELECT chat_id, message_id FROM named_messages WHERE user_id = ? ORDER BY at",
            (user_id,),
        )
        return [NamedMessage(int(r[0]), int(r[1])) for r in rows]

    async def erase(self, user_id: int) -> bool:
        """Delete every row about the user and squeeze the file so no trace lingers."""
        async with self._db.erasing("forget") as conn:
            shown_since = await SentExports.name_shown_since_in(conn, user_id)
            await Signatures.remove_in(conn, user_id)
            # Organizers' exports that may hold the name go too (see SentExports).
            await SentExports.taken_back_in(conn, shown_since)
            await conn.execute("DELETE FROM deliveries WHERE user_id = ?", (user_id,))
            await conn.execute("DELETE FROM named_messages WHERE user_id = ?", (user_id,))
            cursor = await conn.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
            erased = cursor.rowcount > 0
        self._users.forget_cached(user_id)
        return erased
