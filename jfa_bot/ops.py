"""Operations endpoints: GET /healthz, /count.json and /metrics, answered from memory.

Nothing here runs a query per request. A refresh task checks the database with one cheap
query every few seconds and keeps the verdict; the integrity check (`PRAGMA quick_check`,
about a second at 300k signatures) runs rarely, in a thread, on its own read-only
connection, so the bot's connection never waits for it. `/count.json` is built at most
every few seconds, whatever the number of callers. `/metrics` reads counters that the
application, the pacer and the broadcast engine keep anyway.

In webhook mode the webhook server serves these paths; in polling mode :class:`OpsServer`
serves them when `JFA_HTTP_PORT` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from jfa_bot.settings import Settings
from jfa_bot.store import Store
from jfa_bot.store.broadcasts import BroadcastState

if TYPE_CHECKING:
    from jfa_bot.broadcast.engine import BroadcastEngine
    from jfa_bot.broadcast.pacer import Pacer, PacingRateLimiter

__all__ = [
    "BODY_TIMEOUT",
    "IDLE_TIMEOUT",
    "LOG_EVERY",
    "OpsServer",
    "OpsState",
    "ThrottledLog",
    "make_runner",
    "quick_check_file",
    "throttle_http_logs",
]

log = logging.getLogger(__name__)

REFRESH_EVERY = 5.0  # seconds between two cheap database checks
INTEGRITY_EVERY = 6 * 3600.0  # seconds between two integrity checks
INTEGRITY_FIRST = 60.0  # the first one, after start-up has settled
COUNT_TTL = 5.0  # /count.json is rebuilt at most this often
PROGRESS_EVERY = 30.0  # broadcast progress is read this often while one runs
#: Seconds a connection may stay open without sending a whole request (aiohttp's default
#: is an hour: thousands of half-sent requests would use up the file descriptors the bot
#: needs for Telegram and SQLite). Read at start-up.
IDLE_TIMEOUT = 15.0
#: Seconds a caller with the webhook secret gets to send the body it announced.
BODY_TIMEOUT = 30.0
#: Seconds between two log lines of the same kind about HTTP callers (refused, broken).
LOG_EVERY = 60.0
_STALE_AFTER = 4 * REFRESH_EVERY
_PING_TIMEOUT = 3.0
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def quick_check_file(path: Path) -> str:
    """Run `PRAGMA quick_check` on a separate read-only connection (call it in a thread)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    try:
        return str(conn.execute("PRAGMA quick_check").fetchone()[0])
    finally:
        conn.close()


class ThrottledLog(logging.Filter):
    """Let one record of each kind through per LOG_EVERY seconds; count the others.

    The HTTP servers' records are caused by whoever connects: one line per refused call or
    broken request would let anyone write the disk full at the rate they can send. The
    next record let through says how many like it were left out. A traceback becomes the
    exception's name (a parser's message quotes the caller's bytes); a request that is
    not HTTP is the caller's fault, logged as a warning, not an error.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.clock = clock
        self._last: dict[tuple[str, str], float] = {}
        self._skipped: dict[tuple[str, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record if none like it was kept within LOG_EVERY; rewrite it short."""
        key = (record.name, str(record.msg))
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < LOG_EVERY:
            self._skipped[key] = self._skipped.get(key, 0) + 1
            return False
        self._last[key] = now
        suffix = ""
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            suffix = f" ({type(error).__name__})"
            record.exc_info, record.exc_text = None, None
            if isinstance(error, HttpProcessingError) and record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        skipped = self._skipped.pop(key, 0)
        if skipped:
            suffix += f" ({skipped} more like it in the last {LOG_EVERY:.0f} s not logged)"
        if suffix:
            record.msg, record.args = record.getMessage() + suffix, None
        return True


def throttle_http_logs(*names: str) -> None:
    """Throttle the records of these loggers and of aiohttp's server (once per logger)."""
    for name in ("aiohttp.server", *names):
        logger = logging.getLogger(name)
        if not any(isinstance(f, ThrottledLog) for f in logger.filters):
            logger.addFilter(ThrottledLog())


def make_runner(web_app: web.Application) -> web.AppRunner:
    """Return a runner whose connections close when idle or half-sent for IDLE_TIMEOUT."""
    throttle_http_logs()
    return web.AppRunner(web_app, access_log=None, keepalive_timeout=IDLE_TIMEOUT)


def _iso(at: float | None) -> str | None:
    if at is None:
        return None
    return dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class OpsState:
    """The cached health, the cached public count and the metrics of one running bot."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        engine: BroadcastEngine | None = None,
        pacer: Pacer | None = None,
        limiter: PacingRateLimiter | None = None,
        update_queue: asyncio.Queue[object] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.engine = engine
        self.pacer = pacer
        self.limiter = limiter
        self.update_queue = update_queue
        self.last_update_at: float | None = None
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "jfa_updates_handled", "Telegram updates handled.", registry=self.registry
        )
        self.latency = Histogram(
            "jfa_update_handling_seconds",
            "Time from handing an update to the handlers until they finished (replies sent).",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_Collector(self))
        self._health: dict[str, Any] = {"database": "not checked yet"}
        self._checked_at = 0.0
        self._integrity: tuple[str, float] | None = None
        self._integrity_due = time.monotonic() + INTEGRITY_FIRST
        self._progress: dict[int, dict[str, int]] = {}
        self._progress_at = 0.0
        self._count: tuple[bytes, float] | None = None
        self._count_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._integrity_task: asyncio.Task[None] | None = None

    # -- hooks ---------------------------------------------------------------------------
    def record_update(self, seconds: float) -> None:
        """Count one handled update and its handling time (called by the Application)."""
        self.updates.inc()
        self.latency.observe(seconds)
        self.last_update_at = time.time()

    @property
    def progress(self) -> dict[int, dict[str, int]]:
        """Return the deliveries of each running broadcast by state (read every 30 s)."""
        return self._progress

    @property
    def broadcasts_running(self) -> int:
        """Return how many broadcasts were running at the last check."""
        return int(self._health.get("broadcasts", {}).get("running", 0))

    # -- refreshing ----------------------------------------------------------------------
    async def start(self) -> None:
        """Check once now, then keep the state fresh in the background."""
        await self.refresh()
        self._task = asyncio.create_task(self._refresh_forever(), name="ops-refresh")

    async def stop(self) -> None:
        """Stop the background checks."""
        for task in (self._task, self._integrity_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_EVERY)
            try:
                await self.refresh()
            except Exception:  # the health check must never die of its own error
                log.exception("Could not refresh the health state")

    async def refresh(self) -> None:
        """Ping the database, look at the broadcast tasks, start an integrity check if due."""
        health: dict[str, Any] = {}
        try:
            await asyncio.wait_for(self.store.db.scalar("SELECT 1"), _PING_TIMEOUT)
            health["database"] = "ok"
        except Exception as error:
            health["database"] = f"error: {type(error).__name__}"
        health["broadcasts"] = await self._broadcast_state(health["database"] == "ok")
        self._health, self._checked_at = health, time.monotonic()
        running = self._integrity_task is not None and not self._integrity_task.done()
        if not running and time.monotonic() >= self._integrity_due:
            self._integrity_due = time.monotonic() + INTEGRITY_EVERY
            self._integrity_task = asyncio.create_task(self._check_integrity())

    async def _broadcast_state(self, database_ok: bool) -> dict[str, Any]:
        engine = self.engine
        if engine is None or not database_ok:
            return {"running": 0, "stopped": []}
        broadcasts = self.store.broadcasts
        running = [b.id for b in await broadcasts.in_state(BroadcastState.RUNNING)]
        stopped = []
        for broadcast_id in running:
            if engine.is_running(broadcast_id):
                continue
            # The task may have finished between the two reads: ask again before alarming.
            again = await broadcasts.get(broadcast_id)
            alive = engine.is_running(broadcast_id)
            if again is not None and again.state is BroadcastState.RUNNING and not alive:
                stopped.append(broadcast_id)
        if running and time.monotonic() - self._progress_at >= PROGRESS_EVERY:
            self._progress_at = time.monotonic()
            self._progress = {
                broadcast_id: dict((await broadcasts.progress(broadcast_id)).by_state)
                for broadcast_id in running
            }
        elif not running:
            self._progress = {}
        return {"running": len(running), "stopped": stopped}

    async def _check_integrity(self) -> None:
        started = time.monotonic()
        try:
            verdict = await asyncio.to_thread(quick_check_file, self.store.db.path)
        except Exception as error:
            verdict = f"error: {type(error).__name__}"
        self._integrity = (verdict, time.time())
        level = logging.INFO if verdict == "ok" else logging.ERROR
        log.log(level, "Integrity check: %s (%.1f s)", verdict, time.monotonic() - started)

    # -- answers -------------------------------------------------------------------------
    def health(self) -> tuple[int, dict[str, Any]]:
        """Return the HTTP status and body of /healthz, from the cached state."""
        body: dict[str, Any] = dict(self._health)
        age = time.monotonic() - self._checked_at
        body["checked_seconds_ago"] = round(age, 1)
        body["last_update"] = _iso(self.last_update_at)
        body["integrity"] = (
            None
            if self._integrity is None
            else {"verdict": self._integrity[0], "at": _iso(self._integrity[1])}
        )
        problems = []
        if body.get("database") != "ok":
            problems.append("database")
        if age > _STALE_AFTER:
            problems.append("stale")
        if body.get("broadcasts", {}).get("stopped"):
            problems.append("broadcast task stopped")
        if self._integrity is not None and self._integrity[0] != "ok":
            problems.append("integrity")
        body["status"] = "ok" if not problems else "failing: " + ", ".join(problems)
        return (200 if not problems else 503), body

    async def count_json(self) -> bytes:
        """Return the public count feed, rebuilt at most every COUNT_TTL seconds."""
        cached = self._count
        if cached is not None and time.monotonic() - cached[1] < COUNT_TTL:
            return cached[0]
        async with self._count_lock:  # one rebuild, however many callers wait
            cached = self._count
            if cached is not None and time.monotonic() - cached[1] < COUNT_TTL:
                return cached[0]
            today = dt.datetime.now(self.settings.zone).date().isoformat()
            # Public: a country with a lone signer (and when it changed) can name them.
            counts = await self.store.signatures.counts(
                today, top=1000, min_count=self.settings.public_country_min
            )
            listed = dict(counts.top)
            body = json.dumps(
                {
                    "total": counts.total,
                    "countries": listed,
                    "other_countries": counts.total - sum(listed.values()),
                    "today": counts.today,
                    "updated_at": _iso(time.time()),
                },
                sort_keys=True,
            ).encode("utf-8")
            self._count = (body, time.monotonic())
            return body

    def metrics(self) -> bytes:
        """Return the Prometheus text exposition."""
        return generate_latest(self.registry)

    # -- HTTP ----------------------------------------------------------------------------
    def add_routes(self, web_app: web.Application) -> None:
        """Serve /healthz, /count.json and /metrics from this state."""
        web_app.router.add_get("/healthz", self._get_health)
        web_app.router.add_get("/count.json", self._get_count)
        web_app.router.add_get("/metrics", self._get_metrics)

    async def _get_health(self, request: web.Request) -> web.Response:
        status, body = self.health()
        return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})

    async def _get_count(self, request: web.Request) -> web.Response:
        try:
            body = await self.count_json()
        except Exception as error:
            log.warning("Could not build the count feed: %s", type(error).__name__)
            return web.json_response({"error": "unavailable"}, status=503)
        return web.Response(
            body=body,
            content_type="application/json",
            headers={
                "Cache-Control": f"public, max-age={int(COUNT_TTL)}",
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": "GET",
            },
        )

    async def _get_metrics(self, request: web.Request) -> web.Response:
        response = web.Response(body=self.metrics())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response


class _Collector:
    """Read, at scrape time, the figures other parts of the bot keep anyway."""

    def __init__(self, state: OpsState) -> None:
        self._state = state

    def describe(self) -> list[Metric]:
        """Return nothing: the metric names are known only when collected."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Yield sends by outcome, 429s, broadcast progress, queue depth and database size."""
        state = self._state
        sends = CounterMetricFamily(
            "jfa_sends",
            "Messages sent to Telegram, by path and outcome.",
            labels=["path", "outcome"],
        )
        limiter_outcomes = getattr(state.limiter, "outcomes", None) or {}
        for outcome, count in sorted(limiter_outcomes.items()):
            sends.add_metric(["reply", outcome], count)
        engine_outcomes = getattr(state.engine, "outcomes", None) or {}
        for outcome, count in sorted(engine_outcomes.items()):
            sends.add_metric(["broadcast", outcome], count)
        yield sends
        yield CounterMetricFamily(
            "jfa_telegram_429",
            "Times Telegram answered 429 Too Many Requests (each pauses the pacer).",
            value=getattr(state.pacer, "retry_afters", 0),
        )
        progress = GaugeMetricFamily(
            "jfa_broadcast_deliveries",
            "Deliveries of each running broadcast by state (read every 30 s).",
            labels=["broadcast", "state"],
        )
        pending = 0
        for broadcast_id, by_state in sorted(state.progress.items()):
            for delivery_state, count in sorted(by_state.items()):
                progress.add_metric([str(broadcast_id), delivery_state], count)
                if delivery_state in ("pending", "sending"):
                    pending += count
        yield progress
        yield GaugeMetricFamily(
            "jfa_broadcasts_running", "Broadcasts being sent.", value=state.broadcasts_running
        )
        queue = GaugeMetricFamily(
            "jfa_queue_depth",
            "Work waiting: updates not yet handled, deliveries not yet sent.",
            labels=["queue"],
        )
        queue.add_metric(["updates"], state.update_queue.qsize() if state.update_queue else 0)
        queue.add_metric(["deliveries"], pending)
        yield queue
        size = GaugeMetricFamily(
            "jfa_database_bytes", "Size of the SQLite files.", labels=["file"]
        )
        path = state.store.db.path
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                bytes_on_disk = Path(f"{path}{suffix}").stat().st_size
                size.add_metric([suffix.lstrip("-") or "db"], bytes_on_disk)
        yield size
        yield GaugeMetricFamily(
            "jfa_last_update_timestamp_seconds",
            "When the last update was handled (Unix time; 0: none yet).",
            value=state.last_update_at or 0,
        )


class OpsServer:
    """The operations server of polling mode (`JFA_HTTP_LISTEN`, `JFA_HTTP_PORT`)."""

    def __init__(self, state: OpsState, listen: str, port: int) -> None:
        self.state = state
        self.listen = listen
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen (port 0 picks a free one, written back to `port`)."""
        web_app = web.Application()
        self.state.add_routes(web_app)
        self._runner = make_runner(web_app)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])
        log.info("Operations server on %s:%d", self.listen, self.port)

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
