"""The pacer's ceilings hold exactly, on a virtual clock (no real waiting, no timing)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pytest

from jfa_bot.broadcast.pacer import CHAT_GAP, Pacer


class VirtualTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


def most_in_any_window(times: Iterable[float], window: float) -> int:
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def pacer(vt: VirtualTime, rate: int, **kwargs: object) -> Pacer:
    return Pacer(rate, clock=vt.clock, sleep=vt.sleep, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("rate", [1, 7, 25, 30])
async def test_never_more_than_the_rate_in_any_window(rate: int) -> None:
    vt = VirtualTime()
    p = pacer(vt, rate)
    starts = []
    for user in range(rate * 10):
        await p.acquire(user)
        starts.append(vt.now)
    assert most_in_any_window(starts, p.window) == rate
    # and it does not crawl: the whole run takes about ten windows
    assert vt.now <= 10 * p.window


async def test_one_send_per_chat_per_second() -> None:
    vt = VirtualTime()
    p = pacer(vt, 30)
    await p.acquire(42)
    first = vt.now
    await p.acquire(42)
    assert vt.now - first >= CHAT_GAP


async def test_retry_after_pauses_every_later_slot() -> None:
    vt = VirtualTime()
    p = pacer(vt, 30)
    await p.acquire(1)
    p.pause(5)
    await p.acquire(2)
    assert vt.now >= 5


async def test_replies_keep_headroom_while_a_broadcast_saturates_its_rate() -> None:
    vt = VirtualTime()
    p = pacer(vt, 25, limit=30)
    for user in range(25):
        await p.acquire(user)  # the broadcast's whole second
    before = vt.now
    for _ in range(5):
        await p.acquire(None, broadcast=False)  # replies: no wait at all
    assert vt.now == before
    await p.acquire(None, broadcast=False)  # the 31st send in the window must wait
    assert vt.now > before


async def test_broadcast_and_replies_together_stay_under_the_limit() -> None:
    vt = VirtualTime()
    p = pacer(vt, 25, limit=30)
    starts: list[float] = []

    async def broadcast() -> None:
        for user in range(200):
            await p.acquire(user)
            starts.append(vt.now)

    async def replies() -> None:
        for _ in range(60):
            await p.acquire(None, broadcast=False)
            starts.append(vt.now)
            await vt.sleep(0.05)

    await asyncio.gather(broadcast(), replies())
    assert most_in_any_window(starts, p.window) <= 30


async def test_paid_broadcasts_have_their_own_ceiling() -> None:
    vt = VirtualTime()
    p = pacer(vt, 1000, limit=30, paid=True)
    for user in range(1000):
        await p.acquire(user)
    assert vt.now == 0.0  # 1,000 in the first window, none held back by the free limit
    await p.acquire(5000)
    assert vt.now >= p.window - 1e-9
