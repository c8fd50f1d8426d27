"""The store: the only package that speaks SQL. It never imports telegram."""

from __future__ import annotations

from pathlib import Path

from jfa_bot.store.audit import Audit, AuditEntry
from jfa_bot.store.broadcasts import Broadcasts
from jfa_bot.store.db import Database, SchemaTooNewError, utc_now
from jfa_bot.store.flows import Flow, Flows
from jfa_bot.store.personal_data import PersonalData
from jfa_bot.store.resources import NewRequest, RequestKind, Requests, TelegramFiles, Usage
from jfa_bot.store.sent_exports import SentExport, SentExports
from jfa_bot.store.signatures import (
    NewSignature,
    Signature,
    SignatureCounts,
    Signatures,
    SignResult,
    Visibility,
)
from jfa_bot.store.stats import CampaignStats, Stats
from jfa_bot.store.subscriptions import Subscriptions
from jfa_bot.store.users import User, Users
from jfa_bot.store.webhook_ids import SavedIds, WebhookIds

__all__ = [
    "Audit",
    "AuditEntry",
    "Broadcasts",
    "CampaignStats",
    "Database",
    "Flow",
    "Flows",
    "NewRequest",
    "NewSignature",
    "PersonalData",
    "RequestKind",
    "Requests",
    "SavedIds",
    "SchemaTooNewError",
    "SentExport",
    "SentExports",
    "SignResult",
    "Signature",
    "SignatureCounts",
    "Signatures",
    "Stats",
    "Store",
    "Subscriptions",
    "TelegramFiles",
    "Usage",
    "User",
    "Users",
    "Visibility",
    "WebhookIds",
    "utc_now",
]


class Store:
    """All repositories over one database connection."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.users = Users(db)
        self.signatures = Signatures(db)
        self.flows = Flows(db)
        self.subscriptions = Subscriptions(db)
        self.files = TelegramFiles(db)
        self.requests = Requests(db)
        self.broadcasts = Broadcasts(db)
        self.audit = Audit(db)
        self.sent_exports = SentExports(db)
        self.webhook_ids = WebhookIds(db)
        self.stats = Stats(db)
        self.personal_data = PersonalData(db, self.signatures, self.users)

    @classmethod
    async def open(cls, path: Path | str, *, migrate: bool = True) -> Store:
        """Open the database file and migrate it to the current schema."""
        return cls(await Database.open(path, migrate=migrate))

    async def close(self) -> None:
        """Close the database."""
        await self.db.close()
