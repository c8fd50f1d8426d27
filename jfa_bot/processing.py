"""Process updates concurrently, each chat's in order, with flood isolation.

PTB handles updates one at a time by default: with real Bot API latency (50-300 ms a
call) a busy minute queues everyone behind everyone. `OrderedUpdateProcessor` runs
updates of different chats at the same time and those of one chat strictly one after the
other (a form's steps, a double tap on "I agree"), with at most `max_in_flight` handlers
running at once.

A user who sends far more than a person can (more than `flood_rate` updates a second,
beyond a burst of `flood_burst`) gets one polite warning per flood; their excess updates
are dropped at once. Each chat keeps at most `max_waiting` updates waiting, so a flood
costs bounded memory and never holds a slot anyone else needs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

__all__ = ["FloodHook", "OrderedUpdateProcessor"]

log = logging.getLogger(__name__)

# PTB's own semaphore wraps `do_process_update`, so an update waiting for its chat's turn
# would hold one of its slots: keep it out of the way and bound the handlers ourselves.
_UNBOUNDED = 1_000_000
#: Called once per flood with the first dropped update; returns the warning to send.
FloodHook = Callable[[Update], Coroutine[Any, Any, None]]


@dataclass(slots=True)
class _Chat:
    """One chat's queue: the tail of its chain of updates and how many wait in it."""

    tail: asyncio.Future[None] | None = None
    waiting: int = 0


@dataclass(slots=True)
class _Bucket:
    """A user's token bucket (updates a person can send), and whether they were warned."""

    tokens: float
    at: float
    warned: bool = False
    dropped: int = field(default=0)


class OrderedUpdateProcessor(BaseUpdateProcessor):
    """Run updates concurrently, in order within a chat, bounded and flood-isolated."""

    def __init__(
        self,
        max_in_flight: int = 128,
        *,
        flood_rate: float = 5.0,
        flood_burst: int = 10,
        max_waiting: int = 20,
        on_flood: FloodHook | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(_UNBOUNDED)
        if max_in_flight < 1 or max_waiting < 1:
            raise ValueError("bounds must be at least 1")
        self.max_in_flight = max_in_flight
        self.flood_rate = flood_rate
        self.flood_burst = flood_burst
        self.max_waiting = max_waiting
        self.on_flood = on_flood
        self._clock = clock
        self._slots = asyncio.Semaphore(max_in_flight)
        self._chats: dict[Hashable, _Chat] = {}
        self._buckets: dict[int, _Bucket] = {}
        self._pruned_at = 0.0
        self._warnings: set[asyncio.Task[None]] = set()
        # Counters for metrics (read them; never reset).
        self.processed = 0
        self.dropped = 0
        self.floods = 0
        self.in_flight = 0

    @property
    def waiting(self) -> int:
        """Return how many updates wait for their chat's turn or a free slot."""
        return sum(chat.waiting for chat in self._chats.values())

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Wait for the warnings still being sent."""
        if self._warnings:
            await asyncio.gather(*self._warnings, return_exceptions=True)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update after the earlier ones of its chat, unless its sender floods."""
        chat_key, user_key = _keys(update)
        if user_key is not None and self._flooding(user_key, update):
            _discard(coroutine)
            return
        if chat_key is None:
            await self._run(coroutine)
            return
        chat = self._chats.get(chat_key)
        if chat is None:
            chat = self._chats[chat_key] = _Chat()
        if chat.waiting >= self.max_waiting:
            # Bounded memory: a chat cannot queue more than a person could ever mean.
            self.dropped += 1
            _discard(coroutine)
            return
        previous = chat.tail
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        chat.tail = mine
        chat.waiting += 1
        try:
            if previous is not None and not previous.done():
                await asyncio.shield(previous)
            chat.waiting -= 1
            await self._run(coroutine)
        except BaseException:
            if previous is not None and not previous.done():
                # Cancelled while waiting: the chain must still move on after `previous`.
                chat.waiting -= 1
                previous.add_done_callback(lambda _: _finish(mine))
                _discard(coroutine)
                raise
            _finish(mine)
            raise
        else:
            _finish(mine)
        finally:
            if chat.tail is mine and mine.done() and self._chats.get(chat_key) is chat:
                del self._chats[chat_key]

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        async with self._slots:
            self.in_flight += 1
            try:
                await coroutine
            finally:
                self.in_flight -= 1
                self.processed += 1

    def _flooding(self, user_id: int, update: object) -> bool:
        """Spend one token of the user's bucket; True when the update is excess."""
        now = self._clock()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = _Bucket(float(self.flood_burst), now)
        bucket.tokens = min(
            float(self.flood_burst), bucket.tokens + (now - bucket.at) * self.flood_rate
        )
        bucket.at = now
        self._prune(now)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            if bucket.tokens >= self.flood_burst / 2:
                bucket.warned = False  # calm again: a later flood earns a new warning
            return False
        self.dropped += 1
        bucket.dropped += 1
        if not bucket.warned:
            bucket.warned = True
            self.floods += 1
            # Not the id: it would outlive the person's /forget in the logs.
            log.warning("A user sends faster than a person can; dropping the excess")
            if self.on_flood is not None and isinstance(update, Update):
                task = asyncio.create_task(self.on_flood(update), name="flood-warning")
                self._warnings.add(task)
                task.add_done_callback(self._warnings.discard)
        return True

    def _prune(self, now: float) -> None:
        """Forget users whose bucket is full again: memory follows active users only."""
        refill = self.flood_burst / self.flood_rate
        if now - self._pruned_at < refill:
            return
        self._pruned_at = now
        self._buckets = {
            user: bucket for user, bucket in self._buckets.items() if now - bucket.at < refill
        }


def _keys(update: object) -> tuple[Hashable | None, int | None]:
    """Return the chat whose order the update keeps, and the user it counts against."""
    if not isinstance(update, Update):
        return None, None
    user = update.effective_user
    chat = update.effective_chat
    user_id = user.id if user is not None else None
    if update.inline_query is not None or update.chosen_inline_result is not None:
        # Telegram sends an inline query per keystroke: typing fast is not a flood. They
        # queue on their own: a full queue of them must not drop the private chat's next
        # message (the user's id is their private chat's id).
        return (None if user_id is None else ("inline", user_id)), None
    # Without a chat (inline queries, inline buttons) the user's private chat is the key:
    # its id is the user's id, so the user's updates stay in one order.
    return (chat.id if chat is not None else user_id), user_id


def _finish(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _discard(coroutine: Awaitable[Any]) -> None:
    """Close a coroutine that will never run (no "never awaited" warning)."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
