"""A person's own data: everything we hold about them, and erasing all of it."""

from __future__ import annotations

from typing import Any

from jfa_bot.store.db import Database
from jfa_bot.store.signatures import Signatures
from jfa_bot.store.users import Users

__all__ = ["PersonalData"]

# Tables holding rows about one user, and what each is called in the export.
_TABLES = (
    ("users", "profile"),
    ("signatures", "signature"),
    ("subscriptions", "weekly_spotlight_subscription"),
    ("flows", "form_in_progress"),
)


class PersonalData:
    """Export and erasure of one user's rows."""

    def __init__(self, db: Database, signatures: Signatures, users: Users) -> None:
        self._db = db
        self._signatures = signatures
        self._users = users

    async def export(self, user_id: int) -> dict[str, Any]:
        """Return everything stored about the user, as plain JSON-ready data."""
        data: dict[str, Any] = {}
        for table, label in _TABLES:
            row = await self._db.fetchone(f"SELECT * FROM {table} WHERE user_id = ?", (user_id,))
            data[label] = None if row is None else dict(row)
        consents = await self._db.fetchall(
            "SELECT kind, given, version, at FROM consents WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        data["consents"] = [
            {"kind": r["kind"], "given": bool(r["given"]), "version": r["version"], "at": r["at"]}
            for r in consents
        ]
        requests = await self._db.fetchall(
            "SELECT kind, name, organisation, country, usage, usage_other, locale, at "
            "FROM requests WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        data["requests"] = [dict(r) for r in requests]
        direct, total = await self._signatures.referrals(user_id)
        data["people_who_signed_through_your_link"] = {"directly": direct, "in_all": total}
        return data

    async def erase(self, user_id: int) -> bool:
        """Delete every row about the user and squeeze the file so no trace lingers."""
        async with self._db.transaction() as conn:
            await Signatures.remove_in(conn, user_id)
            await conn.execute("DELETE FROM deliveries WHERE user_id = ?", (user_id,))
            cursor = await conn.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
            erased = cursor.rowcount > 0
        self._users.forget_cached(user_id)
        # Fold the write-ahead log into the main file and truncate it: with
        # secure_delete the erased rows are zeroed there, and no old copy stays in the log.
        await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return erased
