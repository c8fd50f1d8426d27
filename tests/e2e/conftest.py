"""End-to-end fixtures: the real Application polling the Telegram stand-in over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from jfa_bot.app import JfaApplication, build_application, running
from jfa_bot.sandbox import BotApiServer
from jfa_bot.settings import Settings
from tests.conftest import TEST_TOKEN, make_settings

BotRunner = Callable[..., AbstractAsyncContextManager[JfaApplication]]


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiServer]:
    """Start the Telegram stand-in on a free loopback port."""
    async with BotApiServer(token=TEST_TOKEN, bot_username="jfa_test_bot") as server:
        yield server


@pytest.fixture
def bot_settings(sandbox: BotApiServer, tmp_path: Path) -> Settings:
    """Return settings pointing the bot at the stand-in, with a database in tmp_path."""
    return make_settings(
        tmp_path, api_base_url=sandbox.base_url, file_base_url=sandbox.base_file_url
    )


@pytest.fixture
def run_bot(bot_settings: Settings) -> BotRunner:
    """Return a context manager that runs the bot; use it twice to restart."""

    @asynccontextmanager
    async def runner(**overrides: Any) -> AsyncIterator[JfaApplication]:
        settings = bot_settings.model_copy(update=overrides) if overrides else bot_settings
        app = build_application(settings)
        async with running(app, poll_timeout=2) as started:
            yield started

    return runner


@pytest.fixture
async def bot(run_bot: BotRunner) -> AsyncIterator[JfaApplication]:
    """Run the bot for the whole test."""
    async with run_bot() as app:
        yield app
