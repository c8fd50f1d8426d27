"""An exact pacer shared by broadcasts and replies, and the PTB rate limiter around it.

PTB's AIORateLimiter lets bursts through and pauses everything on one 429; we need hard
ceilings instead. Every send takes a slot:

- a broadcast send waits until fewer than `broadcast_rate` broadcast sends *and* fewer
  than `limit` sends of any kind started in the last window, and the chat's last send is
  a second old;
- a reply waits only for the overall `limit`: it never queues behind the broadcast,
  which keeps `limit - broadcast_rate` sends per second free for replies.

With paid broadcasts, broadcast sends have their own ceiling and do not count against
the free limit. A 429's `retry_after` pauses every later slot until the time Telegram asked.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

__all__ = ["Pacer", "PacingRateLimiter"]

log = logging.getLogger(__name__)

# A little over one second: sends start a few milliseconds before they arrive.
DEFAULT_WINDOW = 1.02
CHAT_GAP = 1.02
# Endpoints that put a message in a chat and so count against Telegram's limits.
SEND_ENDPOINTS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "copyMessage",
        "forwardMessage",
    }
)
_REPLY_RETRIES = 2  # a reply Telegram rate-limits is sent again after its retry_after
#: Pass as `rate_limit_args` on a send whose slot the caller already took.
PACED = {"paced": True}  # for PTB sends whose slot the caller already took


class Pacer:
    """Hand out send slots: exact overall, broadcast and per-chat ceilings."""

    def __init__(
        self,
        broadcast_rate: int,
        *,
        limit: int = 30,
        paid: bool = False,
        window: float = DEFAULT_WINDOW,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if broadcast_rate < 1 or limit < 1:
            raise ValueError("rates must be at least 1")
        self.rate = broadcast_rate
        self.limit = limit
        self.paid = paid
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._all: deque[float] = deque()  # every free-tier send
        self._broadcast: deque[float] = deque()
        self._last_by_chat: dict[int, float] = {}
        self._paused_until = 0.0
        self._pruned_at = 0.0
        self.retry_afters = 0  # 429s received (read by /metrics)
        self._broadcast_lock = asyncio.Lock()
        self._reply_lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Hold every slot for `seconds` from now (Telegram's retry_after)."""
        self.retry_afters += 1
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _trim(self, now: float) -> None:
        for starts in (self._all, self._broadcast):
            while starts and starts[0] <= now - self.window:
                starts.popleft()

    def _wait_for(self, now: float, chat_id: int | None, *, broadcast: bool) -> float:
        """Return how long to wait before this send may start (0: now)."""
        self._trim(now)
        wait = self._paused_until - now
        if broadcast and len(self._broadcast) >= self.rate:
            wait = max(wait, self._broadcast[0] + self.window - now)
        counts_free = not (broadcast and self.paid)
        if counts_free and len(self._all) >= self.limit:
            wait = max(wait, self._all[0] + self.window - now)
        if chat_id is not None and chat_id in self._last_by_chat:
            wait = max(wait, self._last_by_chat[chat_id] + CHAT_GAP - now)
        return wait

    def _take(self, now: float, chat_id: int | None, *, broadcast: bool) -> None:
        if broadcast:
            self._broadcast.append(now)
        if not (broadcast and self.paid):
            self._all.append(now)
        if chat_id is not None:
            self._last_by_chat[chat_id] = now
            if now - self._pruned_at > CHAT_GAP:
                # Forget chats not sent to within the gap: memory stays at one second's sends.
                self._pruned_at = now
                self._last_by_chat = {
                    chat: at for chat, at in self._last_by_chat.items() if at > now - CHAT_GAP
                }

    async def acquire(self, chat_id: int | None = None, *, broadcast: bool = True) -> None:
        """Wait for a slot for one send into `chat_id` (a broadcast send by default)."""
        lock = self._broadcast_lock if broadcast else self._reply_lock
        async with lock:
            while True:
                now = self._clock()
                wait = self._wait_for(now, chat_id, broadcast=broadcast)
                if wait <= 0:
                    self._take(now, chat_id, broadcast=broadcast)
                    return
                await self._sleep(wait)


class PacingRateLimiter(BaseRateLimiter[dict[str, Any]]):
    """PTB rate limiter: every reply takes a slot from the shared pacer first.

    It wraps every Bot API call the Application makes, so it is also where a late answer
    to a button press (Telegram's "query is too old") is turned into a no-op.
    """

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer
        #: Bot API calls that put a message in a chat, by outcome (read by /metrics).
        self.outcomes: collections.Counter[str] = collections.Counter()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Take a reply slot for sends (unless the caller already did), then send."""
        paced = endpoint in SEND_ENDPOINTS and not (rate_limit_args or {}).get("paced")
        for attempt in range(_REPLY_RETRIES + 1):
            if paced:
                # Replies share the overall ceiling but are not spaced per chat: Telegram
                # tolerates a short burst in a private chat, and a person tapping through
                # a form should not wait a second per step.
                await self.pacer.acquire(None, broadcast=False)
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as error:
                self._count(endpoint, "rate_limited")
                wait = error.retry_after
                seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
                self.pacer.pause(seconds)
                if attempt == _REPLY_RETRIES:
                    raise
                # The reply is still owed: wait as long as Telegram asked, then send it.
                log.info("Telegram asked to wait %.0f s before a reply; waiting", seconds)
                await asyncio.sleep(seconds)
                continue
            except BadRequest as error:
                self._count(endpoint, "refused")
                # A button pressed while the bot was down can only be answered late:
                # Telegram refuses the answer, but the press must still be handled.
                late = "query is too old" in error.message.lower()
                if endpoint == "answerCallbackQuery" and late:
                    log.info("Answered a button press too late to show a notice: %s", error)
                    return False
                raise
            except TelegramError:
                self._count(endpoint, "failed")
                raise
            self._count(endpoint, "sent")
            return result
        raise AssertionError("unreachable")  # the loop returns or raises

    def _count(self, endpoint: str, outcome: str) -> None:
        if endpoint in SEND_ENDPOINTS:
            self.outcomes[outcome] += 1
