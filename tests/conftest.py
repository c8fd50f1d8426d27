"""Shared fixtures: settings, a real SQLite store, and the real bot against the stand-in."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from jfa_bot.app import JfaApplication, build_application, running
from jfa_bot.sandbox import BotApiServer, ChatMessage, SimulatedUser
from jfa_bot.settings import Settings
from jfa_bot.store import Store
from jfa_bot.webhook import WebhookServer, webhook_running

BotRunner = Callable[..., AbstractAsyncContextManager[JfaApplication]]
WebhookBotRunner = Callable[..., AbstractAsyncContextManager[tuple[JfaApplication, WebhookServer]]]
#: Called with the built Application before it starts (e.g. to add a test-only handler).
Prepare = Callable[[JfaApplication], None]

TEST_TOKEN = "123456:TEST-token-for-the-stand-in"
BOT_USERNAME = "jfa_test_bot"
ADMIN_ID = 999
WEBHOOK_SECRET = "s3cret-token-for-tests-0123456789"


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


# -- the real bot against the stand-in ------------------------------------------------------
# The fixtures below use these; a test that cannot take fixtures (a hypothesis state
# machine) calls them directly.


def stand_in() -> BotApiServer:
    """Return the Telegram stand-in (not started): no latency, tests check behaviour."""
    return BotApiServer(token=TEST_TOKEN, bot_username=BOT_USERNAME, latency=(0, 0))


def settings_for(sandbox: BotApiServer, tmp_path: Path, **overrides: Any) -> Settings:
    """Return settings pointing the bot at the stand-in, with a database in `tmp_path`."""
    return make_settings(
        tmp_path, api_base_url=sandbox.base_url, file_base_url=sandbox.base_file_url, **overrides
    )


@asynccontextmanager
async def bot_running(
    settings: Settings, *, prepare: Prepare | None = None, poll_timeout: int = 2
) -> AsyncIterator[JfaApplication]:
    """Build the real Application and run it by long polling until the block ends."""
    app = build_application(settings)
    if prepare is not None:
        prepare(app)
    async with running(app, poll_timeout=poll_timeout) as started:
        yield started


@asynccontextmanager
async def webhook_bot_running(
    settings: Settings, *, deliver: bool = True, prepare: Prepare | None = None
) -> AsyncIterator[tuple[JfaApplication, WebhookServer]]:
    """Run the real Application fed by its webhook server on a free loopback port.

    The public URL is a placeholder; with `deliver`, the stand-in is then told to post
    updates to the real port (with the secret), as Telegram would to the public one.
    """
    settings = settings.model_copy(
        update={
            "webhook_url": "http://127.0.0.1:1/telegram",
            "webhook_port": 0,
            "webhook_secret": settings.webhook_secret or SecretStr(WEBHOOK_SECRET),
        }
    )
    app = build_application(settings)
    if prepare is not None:
        prepare(app)
    async with webhook_running(app, settings) as server:
        if deliver:
            assert settings.webhook_secret is not None
            await app.bot.set_webhook(
                f"http://127.0.0.1:{server.port}{server.path}",
                secret_token=settings.webhook_secret.get_secret_value(),
            )
        yield app, server


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiServer]:
    """Start the Telegram stand-in on a free loopback port."""
    async with stand_in() as server:
        yield server


@pytest.fixture
def bot_settings(sandbox: BotApiServer, tmp_path: Path) -> Settings:
    """Return settings pointing the bot at the stand-in, with a database in tmp_path."""
    return settings_for(sandbox, tmp_path)


@pytest.fixture
def run_bot(bot_settings: Settings) -> BotRunner:
    """Return a context manager that runs the bot by long polling; use it twice to restart.

    Keyword arguments override settings; `prepare=` is called with the Application first.
    """

    @asynccontextmanager
    async def runner(
        *, prepare: Prepare | None = None, **overrides: Any
    ) -> AsyncIterator[JfaApplication]:
        settings = bot_settings.model_copy(update=overrides) if overrides else bot_settings
        async with bot_running(settings, prepare=prepare) as started:
            yield started

    return runner


@pytest.fixture
def run_webhook_bot(bot_settings: Settings) -> WebhookBotRunner:
    """Return a context manager that runs the bot in webhook mode (see webhook_bot_running)."""

    @asynccontextmanager
    async def runner(
        *, deliver: bool = True, prepare: Prepare | None = None, **overrides: Any
    ) -> AsyncIterator[tuple[JfaApplication, WebhookServer]]:
        settings = bot_settings.model_copy(update=overrides) if overrides else bot_settings
        async with webhook_bot_running(settings, deliver=deliver, prepare=prepare) as running:
            yield running

    return runner


@pytest.fixture
async def bot(run_bot: BotRunner) -> AsyncIterator[JfaApplication]:
    """Run the bot for the whole test."""
    async with run_bot() as app:
        yield app


# -- reading and pressing ---------------------------------------------------------------------


def store_of(app: JfaApplication) -> Store:
    """Return the store the running application opened."""
    store: Store = app.bot_data["store"]
    return store


def data_of(message: ChatMessage, label: str) -> str:
    """Return the callback data of the button with this label (fails loudly if absent)."""
    found = message.find_button(label=label)
    assert found is not None and found.callback_data, (label, message.button_labels())
    return found.callback_data


async def press(user: SimulatedUser, label: str, n: int = 1) -> list[ChatMessage]:
    """Press the button with this label on the latest message that has it."""
    message = next(m for m in reversed(user.messages) if m.find_button(label=label))
    return await user.tap(data_of(message, label), n=n)


async def settle(sandbox: BotApiServer, app: JfaApplication, timeout: float = 60.0) -> None:
    """Wait until every update injected so far has been fetched and fully handled.

    The stand-in keeps an update queued until the next getUpdates confirms it, and PTB's
    update queue counts an update done only once its handlers (and error handlers) return.
    """
    async with asyncio.timeout(timeout):
        while sandbox.pending_updates:
            await asyncio.sleep(0.01)
        await app.update_queue.join()


async def spawn_bot(
    sandbox: BotApiServer, db_path: Path, *args: str, cwd: Path | None = None, **env: str
) -> asyncio.subprocess.Process:
    """Run `python -m jfa_bot run [args]` as its own process, pointed at the stand-in.

    The caller's JFA_* variables are left out; `env` adds or overrides settings.
    """
    variables = {key: value for key, value in os.environ.items() if not key.startswith("JFA_")}
    variables |= {
        "JFA_BOT_TOKEN": TEST_TOKEN,
        "JFA_API_BASE_URL": sandbox.base_url,
        "JFA_FILE_BASE_URL": sandbox.base_file_url,
        "JFA_DB_PATH": str(db_path),
        "JFA_ADMIN_IDS": str(ADMIN_ID),
        "JFA_LOG_LEVEL": "WARNING",
        **env,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jfa_bot",
        "run",
        *args,
        env=variables,
        cwd=cwd or db_path.parent,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
