"""Shared fixtures: settings for tests, and a real SQLite store in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from jfa_bot.settings import Settings
from jfa_bot.store import Store

TEST_TOKEN = "123456:TEST-token-for-the-stand-in"
ADMIN_ID = 999


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Keep the developer's JFA_* variables and .env file out of every test."""
    import os

    for name in list(os.environ):
        if name.startswith("JFA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Return settings for a test, with the database in `tmp_path`."""
    values: dict[str, Any] = {
        "bot_token": TEST_TOKEN,
        "db_path": tmp_path / "bot.sqlite3",
        "admin_ids": (ADMIN_ID,),
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """Open a real, migrated SQLite store in a temporary folder."""
    opened = await Store.open(tmp_path / "store.sqlite3")
    try:
        yield opened
    finally:
        await opened.close()
