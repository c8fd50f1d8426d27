"""The store: the only package that speaks SQL. It never imports telegram."""

from __future__ import annotations

from pathlib import Path

from jfa_bot.store.db import Database, SchemaTooNewError, utc_now
from jfa_bot.store.users import User, Users

__all__ = ["Database", "SchemaTooNewError", "Store", "User", "Users", "utc_now"]


class Store:
    """All repositories over one database connection."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.users = Users(db)

    @classmethod
    async def open(cls, path: Path | str, *, migrate: bool = True) -> Store:
        """Open the database file and migrate it to the current schema."""
        return cls(await Database.open(path, migrate=migrate))

    async def close(self) -> None:
        """Close the database."""
        await self.db.close()
