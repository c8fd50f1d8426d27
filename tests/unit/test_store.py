from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from jfa_bot.store import Database, SchemaTooNewError, Store
from jfa_bot.store.migrations import MIGRATIONS


async def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    db = await Database.open(path, migrate=False)
    assert await db.schema_version() == 0
    assert await db.migrate() == list(range(1, len(MIGRATIONS) + 1))
    assert await db.migrate() == []
    assert await db.schema_version() == len(MIGRATIONS)
    await db.close()


async def test_pragmas_are_set(store: Store) -> None:
    assert await store.db.scalar("PRAGMA journal_mode") == "wal"
    assert await store.db.scalar("PRAGMA foreign_keys") == 1
    assert await store.db.scalar("PRAGMA secure_delete") == 1
    assert await store.db.scalar("PRAGMA synchronous") == 1  # NORMAL


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    db = await Database.open(path)
    await db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 5}")
    await db.close()
    with pytest.raises(SchemaTooNewError):
        await Database.open(path)


async def test_touch_keeps_the_first_source_and_referrer(store: Store) -> None:
    first = await store.users.touch(1, "fr", source="radio", referrer_code="abcd1234")
    again = await store.users.touch(1, "pt-br", source="poster", referrer_code="zzzz9999")
    assert first.source == again.source == "radio"
    assert again.referrer_code == "abcd1234"
    assert again.telegram_language == "pt-br"
    assert again.first_seen == first.first_seen


async def test_missing_language_code_keeps_the_last_known(store: Store) -> None:
    await store.users.touch(2, "sw")
    user = await store.users.touch(2, None)
    assert user.telegram_language == "sw"


async def test_chosen_locale_persists_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "persist.sqlite3"
    store = await Store.open(path)
    await store.users.touch(7, "en")
    await store.users.set_locale(7, "ar")
    await store.close()
    store = await Store.open(path)
    user = await store.users.get(7)
    await store.close()
    assert user is not None and user.locale == "ar"


async def test_failed_transaction_changes_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO users (user_id, first_seen, last_seen) VALUES (5, 'a', 'a')"
            )
            raise RuntimeError("boom")
    assert await store.users.get(5) is None


async def test_concurrent_touches_do_not_interleave(store: Store) -> None:
    await asyncio.gather(*(store.users.touch(i, "en") for i in range(50)))
    assert await store.users.count() == 50
    assert await store.db.integrity_check() == "ok"
