"""An exact pacer: never more than `rate` sends in any window, one per chat per second.

PTB's AIORateLimiter lets bursts through and pauses everything on one 429; a broadcast
needs a hard ceiling instead. Every send asks `acquire()` for a slot; slots are handed out
in order, so the sends started in any `window` seconds never exceed `rate`. A 429's
`retry_after` pauses every later slot until the time Telegram asked for.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

__all__ = ["Pacer"]

# A little over one second: sends start a few milliseconds apart from when they arrive.
DEFAULT_WINDOW = 1.02
CHAT_GAP = 1.02


class Pacer:
    """Hand out send slots at no more than `rate` per rolling window."""

    def __init__(
        self,
        rate: int,
        *,
        window: float = DEFAULT_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate < 1:
            raise ValueError("rate must be at least 1")
        self.rate = rate
        self.window = window
        self._clock = clock
        self._starts: deque[float] = deque()
        self._last_by_chat: dict[int, float] = {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Hold every slot for `seconds` from now (Telegram's retry_after)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    @property
    def paused_for(self) -> float:
        """Return how long the pacer is still paused."""
        return max(0.0, self._paused_until - self._clock())

    async def acquire(self, chat_id: int | None = None) -> None:
        """Wait for a slot for one send (into `chat_id`, when given)."""
        async with self._lock:
            while True:
                now = self._clock()
                wait = self._paused_until - now
                while self._starts and self._starts[0] <= now - self.window:
                    self._starts.popleft()
                if len(self._starts) >= self.rate:
                    wait = max(wait, self._starts[0] + self.window - now)
                if chat_id is not None and chat_id in self._last_by_chat:
                    wait = max(wait, self._last_by_chat[chat_id] + CHAT_GAP - now)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self._starts.append(now)
            if chat_id is not None:
                self._last_by_chat[chat_id] = now
                if len(self._last_by_chat) > 4 * self.rate:
                    self._forget_old_chats(now)

    def _forget_old_chats(self, now: float) -> None:
        """Drop per-chat times older than the chat gap: memory stays bounded."""
        self._last_by_chat = {
            chat: at for chat, at in self._last_by_chat.items() if at > now - CHAT_GAP
        }
