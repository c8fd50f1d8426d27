"""Webhook mode: an aiohttp server that takes Telegram's updates, and /healthz.

Telegram sends each update as a POST with the `X-Telegram-Bot-Api-Secret-Token` header we
gave in setWebhook; a request without the right secret is refused (403) and nothing is
processed. A body that is not one update (a list, malformed JSON, no `update_id`) gets 400,
and an `update_id` already received gets 200 without being processed again (Telegram
resends an update it thinks was lost; a captured request can be replayed). Ids are
remembered in a bounded window; an id older than the whole window is refused too, unless
a week passed without updates (Telegram then restarts its ids at random). Refusals are
counted, and logged at most once a minute each kind, without traceback: an
unauthenticated caller cannot fill the log.

That memory survives a restart (:mod:`jfa_bot.store.webhook_ids`): the floor and the ids
received above it, as ranges, saved every SAVE_EVERY seconds when they changed, and at
stop once the server no longer listens; loaded at start. Why not a floor alone ("refuse
ids at or below the newest saved"): Telegram delivers over several connections at once,
so an update it failed to deliver (the crash cut its connection) can have a lower id than
one already received; it is sent again after the restart and must be taken. The gaps
between saved ids are exactly those updates. Why not a write per update: the hot path
stays one queue put, and the cost is bounded instead: after a hard crash (not a stop),
the ids received in its last SAVE_EVERY seconds are not remembered, so a replay of one of
those, and only those, could be taken once. An update answered 200 is never sent again by
Telegram, so refusing every saved id never loses a real one.

The same server answers /healthz, /count.json and /metrics (:mod:`jfa_bot.ops`). Put it
behind a TLS reverse proxy (Telegram only calls HTTPS on ports 443, 80, 88, 8443).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import hmac
import json
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from jfa_bot import ops
from jfa_bot.app import OPS_KEY, WEBHOOK_MODE_KEY, JfaApplication, retry_network, stop_application
from jfa_bot.context import STORE_KEY
from jfa_bot.ops import OpsState
from jfa_bot.settings import Settings
from jfa_bot.store import Store
from jfa_bot.store.db import utc_stamp

__all__ = ["SECRET_HEADER", "WebhookServer", "run_webhook", "webhook_running"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)
_MAX_BODY = 1024 * 1024
#: Update ids remembered to drop replays; Telegram's ids only grow, so a few thousand do.
RECENT_UPDATES = 10_000
#: After this long without an update, Telegram may restart its ids anywhere (a week).
IDS_RESTART_AFTER = 7 * 24 * 3600.0
#: The highest update id taken: Telegram's are positive and fit SQLite's 64-bit integers.
MAX_UPDATE_ID = 2**63 - 1
#: Seconds between two saves of the replay memory (only when it changed), and at stop.
SAVE_EVERY = 10.0


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
        self.malformed = 0
        self.replayed = 0
        self._recent: set[int] = set()
        # The same ids as a heap: the lowest is forgotten first, so an id far above
        # Telegram's (only a holder of the secret can send one) never becomes the floor.
        self._lowest: list[int] = []
        # Ids at or below the newest one forgotten are replays (None: nothing forgotten).
        self._floor: int | None = None
        self._received_at: float | None = None
        self.clock: Callable[[], float] = time.monotonic
        self._runner: web.AppRunner | None = None
        self.port = settings.webhook_port
        self._changed = False  # the replay memory differs from the saved one
        self._saver: asyncio.Task[None] | None = None

    def web_app(self) -> web.Application:
        """Return the aiohttp application with the webhook and health routes."""
        web_app = web.Application(client_max_size=_MAX_BODY)
        web_app.router.add_post(self.path, self._receive)
        ops: OpsState | None = self.app.bot_data.get(OPS_KEY)
        if ops is not None:
            ops.add_routes(web_app)
        return web_app

    def _has_secret(self, request: web.Request) -> bool:
        # Header bytes that are not UTF-8 arrive as surrogates: compare bytes, never fail.
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        return hmac.compare_digest(given, self._secret.encode())

    async def _receive(self, request: web.Request) -> web.Response:
        if not self._has_secret(request):
            self.refused += 1
            log.warning("Refused a webhook call without the right secret from %s", request.remote)
            return web.Response(status=403)
        try:
            async with asyncio.timeout(ops.BODY_TIMEOUT):
                body = await request.read()
        except TimeoutError:
            response = self._malformed("body not sent in time", status=408)
            response.force_close()  # do not linger on a body that never ends
            return response
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return self._malformed("not JSON")
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return self._malformed("not an update")
        if not 0 <= update_id <= MAX_UPDATE_ID:  # Telegram's ids are positive 64-bit
            return self._malformed("update_id out of range")
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception as error:  # any shape PTB cannot read is the caller's problem
            return self._malformed(type(error).__name__)
        if self._is_replay(update_id):
            self.replayed += 1
            log.info("Dropped update %d: it was already received", update_id)
            return web.Response(status=200)
        self._remember(update_id)
        await self.app.update_queue.put(update)
        self.last_update = dt.datetime.now(dt.UTC)
        return web.Response(status=200)

    def _remember(self, update_id: int) -> None:
        """Add an id to the memory; the lowest beyond RECENT_UPDATES raise the floor."""
        if update_id in self._recent:
            return
        self._recent.add(update_id)
        heapq.heappush(self._lowest, update_id)
        self._changed = True
        while len(self._recent) > RECENT_UPDATES:
            forgotten = heapq.heappop(self._lowest)
            self._recent.discard(forgotten)
            self._floor = forgotten if self._floor is None else max(self._floor, forgotten)

    def _is_replay(self, update_id: int) -> bool:
        """Tell whether the id was received before (or is older than all remembered)."""
        now = self.clock()
        if self._received_at is not None and now - self._received_at >= IDS_RESTART_AFTER:
            self._recent.clear()  # a silent week: Telegram may start anywhere
            self._lowest.clear()
            self._floor = None
            self._changed = True
        self._received_at = now
        if update_id in self._recent:
            return True
        return self._floor is not None and update_id <= self._floor

    def _malformed(self, why: str, *, status: int = 400) -> web.Response:
        self.malformed += 1
        log.warning("Refused a webhook body (%s)", why)
        return web.Response(status=status)

    async def start(self) -> None:
        """Listen on the configured address and port (port 0 picks a free one)."""
        ops.throttle_http_logs(__name__)  # a refused call must not cost a log line each
        await self._restore()
        self._runner = ops.make_runner(self.web_app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.webhook_listen, self.settings.webhook_port)
        await site.start()
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])
        if self._store() is not None:
            self._saver = asyncio.create_task(self._save_periodically(), name="webhook-ids")

    async def stop(self) -> None:
        """Stop listening, then save the replay memory (no id can arrive any more)."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._saver is not None:
            self._saver.cancel()
            with suppress(asyncio.CancelledError):
                await self._saver
            self._saver = None
            try:
                await self.save()
            except Exception as error:  # the application must still stop cleanly
                log.warning("Could not save the webhook's update ids at stop: %s", error)

    def _store(self) -> Store | None:
        store: Store | None = self.app.bot_data.get(STORE_KEY)
        return store

    async def _restore(self) -> None:
        """Load the replay memory saved before the last stop or crash."""
        store = self._store()
        saved = await store.webhook_ids.load(RECENT_UPDATES) if store is not None else None
        if saved is None:
            return
        silent = None
        last = _parse_utc(saved.received_at)
        if last is not None:
            silent = (dt.datetime.now(dt.UTC) - last).total_seconds()
            if silent >= IDS_RESTART_AFTER:
                log.info("The saved webhook ids are over a week old: Telegram may start anew")
                return
            self.last_update = last
            self._received_at = self.clock() - max(silent, 0.0)
        self._floor = saved.floor
        for update_id in saved.recent:  # ascending: the lowest leave first if too many
            self._remember(update_id)
        self._changed = False
        log.info(
            "Loaded the webhook's memory of %d update id(s), floor %s",
            len(self._recent),
            self._floor,
        )

    async def save(self) -> None:
        """Save the replay memory if it changed since the last save."""
        store = self._store()
        if store is None or not self._changed:
            return
        self._changed = False
        received = utc_stamp(self.last_update) if self.last_update else None
        try:
            await store.webhook_ids.save(self._floor, list(self._recent), received)
        except Exception:
            self._changed = True  # try again next time
            raise

    async def _save_periodically(self) -> None:
        while True:
            await asyncio.sleep(SAVE_EVERY)
            try:
                await self.save()
            except Exception as error:  # the next round tries again; the bot keeps serving
                log.warning("Could not save the webhook's update ids: %s", error)


def _parse_utc(text: str | None) -> dt.datetime | None:
    """Return the saved time of the latest update, or None if absent or unreadable."""
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        log.warning("The saved time of the latest webhook update is unreadable")
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


@asynccontextmanager
async def webhook_running(app: JfaApplication, settings: Settings) -> AsyncIterator[WebhookServer]:
    """Run the Application fed by a webhook server, and register the webhook."""
    server = WebhookServer(app, settings)
    app.bot_data[WEBHOOK_MODE_KEY] = True  # this server answers the operations paths
    await retry_network(app.initialize, "Start-up (getMe)")
    if app.post_init:
        await app.post_init(app)
    await app.start()
    await server.start()
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    url, secret = settings.webhook_url, settings.webhook_secret.get_secret_value()
    await retry_network(
        lambda: app.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES),
        "setWebhook",
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
