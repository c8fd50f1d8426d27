"""One pacer for every send, with priorities, counting sends as Telegram sees them arrive.

Telegram counts a message when it *arrives*, and we cannot see that moment; we can see
when a send starts (it arrives later) and when its answer comes back (it arrived
earlier). So a send occupies its slot from its start until one window after the latest
moment it can have arrived:

    a new send may start when (sends in flight) + (arrivals possible in the last window) < limit.

For any one-second window of arrivals, take the send in it that started last; every other
one started before it and could still arrive in the window, so it was counted when that
last send took its slot.

The latest possible arrival is the answer minus the shortest round trip seen (less a
5 ms margin, and only once 100 round trips were seen; before that, the answer itself):
whatever the way out took beyond its own minimum, the whole round trip took at least as
much beyond the shortest one. Counting to the answer would cost a whole round trip per
window (at 80 ms, limit / 1.08 per second); this costs only the round trip's jitter
(measured in benchmarks/RESULTS.md, with Telegram's own count of arrivals in the stand-in).

- **Priorities**: a reply takes a free slot before any waiting broadcast send; broadcasts
  take every slot replies leave (`broadcast_rate` is only a ceiling for broadcasts), evenly
  spaced (one every window / limit) rather than in bursts, so slots keep freeing up and a
  reply during a broadcast waits for the next one, a fraction of a second.
- **Per chat**: the same rule with `chat_burst` (1 by default: one message per chat per
  second, as Telegram documents), for every kind of send. A send waiting for its chat
  never holds up a send to another chat.
- **429**: `retry_after()` delays the chat it came from; it pauses every send only when
  the evidence says the bot's overall limit was hit (the window was full, a second chat
  was refused within the window, or the refused send had no chat).
- **Paid broadcasts** count in their own pool (`paid_rate`) and not in the free limit;
  replies count in both.
- **Restarts**: a new pacer waits out the window that a previous process may still have
  filled: it sends nothing until one window after this process started (the previous
  one was dead by then, and what it had sent arrived within that window).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

__all__ = ["PACED", "SEND_ENDPOINTS", "Pacer", "PacingRateLimiter"]

log = logging.getLogger(__name__)

#: Telegram's window, plus 2 ms for timer granularity.
WINDOW = 1.002
#: Taken off the shortest round trip seen before it counts (see `_latest_arrival`): the
#: shortest seen can exceed the true minimum of the way out and back by a little.
RTT_MARGIN = 0.005
#: Round trips seen before the shortest of them is trusted (until then, count to answers).
RTT_SAMPLES = 100
# Back-compatible names.
DEFAULT_WINDOW = WINDOW
CHAT_GAP = WINDOW
# How far behind its spacing a broadcast may catch up after a late wake-up or a gap:
# 6 sends at 30/s; at 1,000/s (paid), 200, as the event loop can lag a few milliseconds.
_CATCH_UP = 0.2
# While replies wait for a slot, a broadcast send looks again this often.
_YIELD = 0.005
# Endpoints that put a message in a chat and so count against Telegram's limits.
SEND_ENDPOINTS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendMediaGroup",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "copyMessage",
        "forwardMessage",
    }
)
_REPLY_RETRIES = 2  # a reply Telegram rate-limits is sent again after its retry_after
#: Pass as `rate_limit_args` on a send whose slot the caller already took.
PACED = {"paced": True}


def _process_age() -> float | None:
    """Return how long ago this process started (Linux), or None when unknown."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as uptime:
            up = float(uptime.read().split()[0])
        return up - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


@dataclass(slots=True)
class _Pool:
    """Sends counted against one limit: in flight, and answered within the window."""

    limit: int
    in_flight: int = 0
    answered: deque[float] = field(default_factory=deque)

    def trim(self, now: float, window: float) -> None:
        answered = self.answered
        cutoff = now - window
        while answered and answered[0] <= cutoff:
            answered.popleft()

    def wait(self, now: float, window: float, reserve: int = 0) -> float:
        """Return how long until this pool has room beyond `reserve` free slots."""
        self.trim(now, window)
        over = self.in_flight + len(self.answered) - (self.limit - reserve)
        if over < 0:
            return 0.0
        if over < len(self.answered):
            return self.answered[over] + window - now
        return window  # every slot is in flight: look again once one could have expired


#: A chat's send still in flight (its arrival is not known yet).
_IN_FLIGHT = math.inf


@dataclass(slots=True)
class _Waiters:
    """Sends waiting for one chat's turn, in order (only while some wait)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class Slot:
    """One send's place; `done()` records its answer (call it exactly once, pass or fail)."""

    __slots__ = ("_chat_id", "_finished", "_pacer", "_pools", "_started")

    def __init__(self, pacer: Pacer, pools: tuple[_Pool, ...], chat_id: int | None) -> None:
        self._pacer = pacer
        self._pools = pools
        self._chat_id = chat_id
        self._finished = False
        self._started = pacer._clock()

    def done(self) -> None:
        """Record that Telegram answered this send (it has arrived by now)."""
        if self._finished:
            return
        self._finished = True
        pacer = self._pacer
        now = pacer._clock()
        latest_arrival = pacer._latest_arrival(now - self._started, now)
        for pool in self._pools:
            pool.in_flight -= 1
            pool.answered.append(latest_arrival)
        if self._chat_id is not None:
            pacer._chat_answered(self._chat_id, latest_arrival)


class Pacer:
    """Hand out send slots under Telegram's overall and per-chat limits, replies first."""

    def __init__(
        self,
        broadcast_rate: int,
        *,
        limit: int = 30,
        paid: bool = False,
        chat_burst: int = 1,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        wait_out_restart: bool = True,
    ) -> None:
        if broadcast_rate < 1 or limit < 1 or chat_burst < 1:
            raise ValueError("rates must be at least 1")
        self.rate = broadcast_rate
        self.limit = limit
        self.paid = paid
        self.chat_burst = chat_burst
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._free = _Pool(limit)  # Telegram's free limit: replies and free broadcasts
        self._broadcast = _Pool(min(broadcast_rate, limit))  # the free broadcasts' ceiling
        # With paid broadcasts, the paid tier's limit counts every send.
        self._paid_all = _Pool(broadcast_rate) if paid else None
        # Per chat, only what can still hold a send back, so that a broadcast's second
        # costs one short list per chat (a million chats a second in the memory benchmark):
        # each recent send's latest arrival (`_IN_FLIGHT` until answered), the chats with
        # sends waiting their turn, and the chats a 429 blocked.
        self._chat_sends: dict[int, list[float]] = {}
        self._waiters: dict[int, _Waiters] = {}
        self._blocked: dict[int, float] = {}
        self._pruned_at = 0.0
        self._paused_until = 0.0
        self._global_lock = asyncio.Lock()
        self._broadcast_lock = asyncio.Lock()
        self._last_429: tuple[int | None, float] | None = None
        self._next_broadcast = 0.0  # the earliest start of the next broadcast send
        self.replies_waiting = 0
        self._rtt_floor: float | None = None  # the shortest round trip seen
        self._reply_starts: deque[float] = deque()  # replies started lately (the reserve)
        self._answers = 0
        # Counters for metrics (read them; never reset).
        self.sends = 0
        self.reply_sends = 0
        self.broadcast_sends = 0
        self.chat_delays = 0  # 429s that delayed one chat only
        self.global_pauses = 0  # 429s taken as the overall limit
        self.retry_afters = 0  # 429s received (read by /metrics)
        if wait_out_restart:
            # What a killed predecessor sent can arrive up to a window after it died, and
            # this process started after that: wait until a window after our own start.
            now = clock()
            age = _process_age()
            self._paused_until = now + window if age is None else now - age + window

    def _latest_arrival(self, round_trip: float, answered: float) -> float:
        """Return the latest moment a send answered now can have arrived (see the docstring).

        Whatever the way out took beyond its own minimum, the round trip took at least as
        much beyond the shortest round trip: the send arrived by `answered - floor`.
        """
        self._answers += 1
        floor = self._rtt_floor
        if floor is None or round_trip < floor:
            floor = self._rtt_floor = round_trip
        if self._answers < RTT_SAMPLES:
            return answered  # too few round trips to know the shortest: count to the answer
        return answered - max(0.0, floor - RTT_MARGIN)

    def _reply_reserve(self, now: float) -> int:
        """Return the free slots a broadcast leaves for replies: as many as came lately.

        Replies always take a free slot first, but a burst of them would still wait for
        slots a busy broadcast holds, one expiry each; with people talking, the broadcast
        leaves as many slots free as replies started in the last two windows, at most a
        tenth of the limit (3 of 30: with 50 people talking, a larger reserve bought little
        latency and cost the broadcast a quarter of its pace, see benchmarks/RESULTS.md),
        and none when nobody talks.
        """
        starts = self._reply_starts
        while starts and starts[0] <= now - 2 * self.window:
            starts.popleft()
        return min(len(starts), self.limit // 10)

    # -- 429s ------------------------------------------------------------------------------
    def pause(self, seconds: float) -> None:
        """Hold every slot for `seconds` from now (Telegram's retry_after, overall)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def retry_after(self, chat_id: int | None, seconds: float) -> bool:
        """Honour a 429 for a send into `chat_id`; return True if it paused every send.

        Telegram does not say which limit was hit. It was the overall one only if our
        own count says the window was full, or another chat was refused within the
        window; otherwise only this chat waits.
        """
        self.retry_afters += 1
        now = self._clock()
        self._free.trim(now, self.window)
        full = self._free.in_flight + len(self._free.answered) >= self.limit
        previous = self._last_429
        other_chat = (
            previous is not None and previous[0] != chat_id and now - previous[1] < self.window
        )
        self._last_429 = (chat_id, now)
        if chat_id is None or full or other_chat:
            self.global_pauses += 1
            self.pause(seconds)
            return True
        self.chat_delays += 1
        self._blocked[chat_id] = max(self._blocked.get(chat_id, 0.0), now + seconds)
        return False

    # -- slots -----------------------------------------------------------------------------
    def _pools(self, broadcast: bool, paid: bool) -> tuple[_Pool, ...]:
        if broadcast and paid and self._paid_all is not None:
            return (self._paid_all,)
        if broadcast:
            return (self._free, self._broadcast)
        return (self._free,) if self._paid_all is None else (self._free, self._paid_all)

    async def acquire(
        self, chat_id: int | None = None, *, broadcast: bool = True, paid: bool | None = None
    ) -> Slot:
        """Wait for a slot for one send into `chat_id` (a broadcast send by default).

        `paid` (broadcasts only) defaults to the pacer's tier. Call `done()` on the slot
        when Telegram answered; `slot()` does it for you.
        """
        pools = self._pools(broadcast, self.paid if paid is None else paid)
        if chat_id is None:
            return await self._acquire_global(broadcast, pools, None)
        now = self._clock()
        self._prune(now)
        if chat_id not in self._waiters and self._chat_wait(chat_id, now) <= 0:
            return await self._acquire_chat(chat_id, broadcast, pools)
        waiters = self._waiters.get(chat_id)
        if waiters is None:
            waiters = self._waiters[chat_id] = _Waiters()
        waiters.users += 1
        try:
            async with waiters.lock:  # one send at a time waits for this chat's turn
                while True:
                    wait = self._chat_wait(chat_id, self._clock())
                    if wait <= 0:
                        break
                    await self._sleep(wait)
                return await self._acquire_chat(chat_id, broadcast, pools)
        finally:
            waiters.users -= 1
            if not waiters.users:
                del self._waiters[chat_id]

    async def _acquire_chat(self, chat_id: int, broadcast: bool, pools: tuple[_Pool, ...]) -> Slot:
        """Hold the chat's turn (a send in flight) while waiting for an overall slot."""
        sends = self._chat_sends.setdefault(chat_id, [])
        sends.append(_IN_FLIGHT)
        try:
            return await self._acquire_global(broadcast, pools, chat_id)
        except BaseException:
            self._chat_answered(chat_id, None)
            raise

    def _chat_wait(self, chat_id: int, now: float) -> float:
        """Return how long until a send into `chat_id` may start (as far as the chat goes)."""
        blocked = self._blocked.get(chat_id, 0.0) - now
        sends = self._chat_sends.get(chat_id)
        if not sends:
            return blocked
        cutoff = now - self.window
        if any(sent <= cutoff for sent in sends):
            sends[:] = [sent for sent in sends if sent > cutoff]
        over = len(sends) - self.chat_burst
        if over < 0:
            return blocked
        frees = sorted(sends)[over]  # the send whose expiry frees the chat's turn
        if frees == _IN_FLIGHT:
            return max(blocked, self.window)  # look again once it could have expired
        return max(blocked, frees + self.window - now)

    def _chat_answered(self, chat_id: int, latest_arrival: float | None) -> None:
        """Record that a send into `chat_id` was answered (None: it was never sent)."""
        sends = self._chat_sends.get(chat_id)
        if sends is None:
            return
        index = sends.index(_IN_FLIGHT)
        if latest_arrival is None:
            del sends[index]
            if not sends:
                del self._chat_sends[chat_id]
        else:
            sends[index] = latest_arrival

    def _prune(self, now: float) -> None:
        """Forget chats nothing can hold back any more (memory: one window's sends)."""
        if now - self._pruned_at < self.window:
            return
        self._pruned_at = now
        cutoff = now - self.window
        self._chat_sends = {
            chat_id: sends
            for chat_id, sends in self._chat_sends.items()
            if any(sent > cutoff for sent in sends)
        }
        self._blocked = {chat_id: until for chat_id, until in self._blocked.items() if until > now}

    async def _acquire_global(
        self, broadcast: bool, pools: tuple[_Pool, ...], chat_id: int | None
    ) -> Slot:
        if not broadcast:
            self.replies_waiting += 1
        try:
            lock = self._broadcast_lock if broadcast else self._global_lock
            async with lock:
                while True:
                    now = self._clock()
                    wait = self._paused_until - now
                    reserve = self._reply_reserve(now) if broadcast else 0
                    for pool in pools:
                        held = reserve if pool is self._free else 0
                        wait = max(wait, pool.wait(now, self.window, held))
                    if broadcast:
                        # Evenly spaced, never in bursts: slots then free up one by one,
                        # so a reply waits a fraction of a second for the next, not a window.
                        wait = max(wait, self._next_broadcast - now)
                    if broadcast and wait <= 0 and self.replies_waiting:
                        wait = _YIELD  # replies first: let them take this slot
                    if wait <= 0:
                        break
                    await self._sleep(wait)
                if broadcast:
                    spacing = self.window / min(pool.limit for pool in pools)
                    # Catch up at most a few slots after a gap (the engine waits for each
                    # batch's last answer): a short burst, never a window's worth.
                    floor = now - _CATCH_UP
                    self._next_broadcast = max(self._next_broadcast, floor) + spacing
                for pool in pools:
                    pool.in_flight += 1
        finally:
            if not broadcast:
                self.replies_waiting -= 1
        self.sends += 1
        if broadcast:
            self.broadcast_sends += 1
        else:
            self.reply_sends += 1
            self._reply_starts.append(now)
            self._reply_reserve(now)  # trims: memory of two windows' replies
        return Slot(self, pools, chat_id)

    @asynccontextmanager
    async def slot(
        self, chat_id: int | None = None, *, broadcast: bool = True, paid: bool | None = None
    ) -> AsyncIterator[Slot]:
        """Hold a slot for the duration of one send (its answer ends it)."""
        taken = await self.acquire(chat_id, broadcast=broadcast, paid=paid)
        try:
            yield taken
        finally:
            taken.done()

    def chats_remembered(self) -> int:
        """Return how many chats the pacer holds state for (each can hold a send back)."""
        return len(self._chat_sends.keys() | self._blocked.keys() | self._waiters.keys())

    @property
    def in_flight(self) -> int:
        """Return how many free-tier sends are in flight now."""
        return self._free.in_flight

    def sends_in_window(self) -> int:
        """Return the free-tier sends that can still count in the current window."""
        self._free.trim(self._clock(), self.window)
        return self._free.in_flight + len(self._free.answered)


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
        chat_id = _chat_of(data)
        for attempt in range(_REPLY_RETRIES + 1):
            slot = await self.pacer.acquire(chat_id, broadcast=False) if paced else None
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as error:
                self._count(endpoint, "rate_limited")
                wait = error.retry_after
                seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
                # Only this chat waits, unless the evidence says the bot's limit was hit.
                overall = self.pacer.retry_after(chat_id if paced else None, seconds)
                if attempt == _REPLY_RETRIES:
                    raise
                log.info(
                    "Telegram asked to wait %.0f s before a reply (%s); waiting",
                    seconds,
                    "every chat" if overall else "this chat",
                )
                if not paced:
                    await asyncio.sleep(seconds)
                # A paced reply waits in the pacer for its chat (or everyone) to be free.
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
            else:
                self._count(endpoint, "sent")
                return result
            finally:
                if slot is not None:
                    slot.done()
        raise AssertionError("unreachable")  # the loop returns or raises

    def _count(self, endpoint: str, outcome: str) -> None:
        if endpoint in SEND_ENDPOINTS:
            self.outcomes[outcome] += 1


def _chat_of(data: dict[str, Any]) -> int | None:
    """Return the integer chat id a call goes to (None for inline messages, @channels)."""
    value = data.get("chat_id")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None
