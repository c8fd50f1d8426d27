"""Webhook mode: an aiohttp server that takes Telegram's updates, and /healthz.

Telegram sends each update as a POST with the `X-Telegram-Bot-Api-Secret-Token` header we
gave in setWebhook; a request without the right secret is refused (403) and nothing is
processed. `/healthz` reports whether the database answers and when the last update came.
Put it behind a TLS reverse proxy (Telegram only calls HTTPS on ports 443, 80, 88, 8443).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from jfa_bot.app import JfaApplication, stop_application
from jfa_bot.context import STORE_KEY
from jfa_bot.settings import Settings
from jfa_bot.store import Store

__all__ = ["SECRET_HEADER", "WebhookServer", "run_webhook", "webhook_running"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)
_MAX_BODY = 1024 * 1024


class WebhookServer:
    """Receive updates for one Application and answer health checks."""

    def __init__(self, app: JfaApplication, settings: Settings) -> None:
        if settings.webhook_url is None or settings.webhook_secret is None:
            raise ValueError("webhook mode needs JFA_WEBHOOK_URL and JFA_WEBHOOK_SECRET")
        self.app = app
        self.settings = settings
        self.path = urlsplit(settings.webhook_url).path or "/"
        self._secret = settings.webhook_secret.get_secret_value()
        self.last_update: dt.datetime | None = None
        self.refused = 0
        self._runner: web.AppRunner | None = None
        self.port = settings.webhook_port

    def web_app(self) -> web.Application:
        """Return the aiohttp application with the webhook and health routes."""
        web_app = web.Application(client_max_size=_MAX_BODY)
        web_app.router.add_post(self.path, self._receive)
        web_app.router.add_get("/healthz", self._health)
        return web_app

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            self.refused += 1
            log.warning("Refused a webhook call without the right secret from %s", request.remote)
            return web.Response(status=403)
        try:
            data = await request.json()
            update = Update.de_json(data, self.app.bot)
        except (json.JSONDecodeError, ValueError, KeyError, TypeError):
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        await self.app.update_queue.put(update)
        self.last_update = dt.datetime.now(dt.UTC)
        return web.Response(status=200)

    async def _health(self, request: web.Request) -> web.Response:
        store: Store | None = self.app.bot_data.get(STORE_KEY)
        body: dict[str, object] = {
            "last_update": self.last_update.isoformat() if self.last_update else None
        }
        try:
            if store is None:
                raise RuntimeError("store not open")
            body["database"] = str(await store.db.scalar("PRAGMA quick_check"))
            body["schema"] = await store.db.schema_version()
        except Exception as error:
            body["database"] = f"error: {type(error).__name__}"
        status = 200 if body.get("database") == "ok" else 503
        return web.json_response(body, status=status)

    async def start(self) -> None:
        """Listen on the configured address and port (port 0 picks a free one)."""
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.webhook_listen, self.settings.webhook_port)
        await site.start()
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()


@asynccontextmanager
async def webhook_running(app: JfaApplication, settings: Settings) -> AsyncIterator[WebhookServer]:
    """Run the Application fed by a webhook server, and register the webhook."""
    server = WebhookServer(app, settings)
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    await server.start()
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    await app.bot.set_webhook(
        settings.webhook_url,
        secret_token=settings.webhook_secret.get_secret_value(),
        allowed_updates=Update.ALL_TYPES,
    )
    try:
        yield server
    finally:
        await server.stop()
        await stop_application(app)


async def run_webhook(app: JfaApplication, settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with webhook_running(app, settings) as server:
        log.info("Webhook listening on %s:%d%s", settings.webhook_listen, server.port, server.path)
        await stop.wait()
