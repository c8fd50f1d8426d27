"""Shared fixtures: settings, a real SQLite store, and the real bot against the stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from jfa_bot.app import JfaApplication, build_application, running
from jfa_bot.sandbox import BotApiServer
from jfa_bot.settings import Settings
from jfa_bot.store import Store

BotRunner = Callable[..., AbstractAsyncContextManager[JfaApplication]]

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
        # Simulated people act at machine speed: flood control is tested where it is meant.
        "flood_rate": 100.0,
        # ... and read every answer at once: a test that enforces Telegram's one message
        # per chat per second sets chat_burst=1, the default.
        "chat_burst": 20,
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


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiServer]:
    """Start the Telegram stand-in on a free loopback port."""
    async with BotApiServer(
        token=TEST_TOKEN, bot_username="jfa_test_bot", latency=(0, 0)
    ) as server:
        yield server


@pytest.fixture
def bot_settings(sandbox: BotApiServer, tmp_path: Path) -> Settings:
    """Return settings pointing the bot at the stand-in, with a database in tmp_path."""
    return make_settings(
        tmp_path, api_base_url=sandbox.base_url, file_base_url=sandbox.base_file_url
    )


@pytest.fixture
def run_bot(bot_settings: Settings) -> BotRunner:
    """Return a context manager that runs the bot by long polling; use it twice to restart."""

    @asynccontextmanager
    async def runner(**overrides: Any) -> AsyncIterator[JfaApplication]:
        settings = bot_settings.model_copy(update=overrides) if overrides else bot_settings
        async with running(build_application(settings), poll_timeout=2) as started:
            yield started

    return runner


@pytest.fixture
async def bot(run_bot: BotRunner) -> AsyncIterator[JfaApplication]:
    """Run the bot for the whole test."""
    async with run_bot() as app:
        yield app
