"""The pacer's ceilings hold as Telegram counts them (arrivals), on a virtual clock.

No real waiting and no timing: a virtual clock moves only when every task sleeps, and
each send arrives at a random moment between its start and its answer, as on a network.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections.abc import Iterable

import pytest

from jfa_bot.broadcast import pacer as pacer_module
from jfa_bot.broadcast.pacer import Pacer


class VirtualTime:
    """A clock that jumps to the next sleeper's wake-up once every task is asleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._driver: asyncio.Task[None] | None = None

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._seq), future))
        if self._driver is None or self._driver.done():
            self._driver = asyncio.create_task(self._drive())
        await future

    async def _drive(self) -> None:
        while self._sleepers:
            for _ in range(50):  # let every runnable task reach its next sleep
                await asyncio.sleep(0)
            if not self._sleepers:
                return
            wake, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, wake)
            if not future.done():
                future.set_result(None)


def most_in_any_window(times: Iterable[float], window: float = 1.0) -> int:
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def make(vt: VirtualTime, rate: int, **kwargs: object) -> Pacer:
    return Pacer(rate, clock=vt.clock, sleep=vt.sleep, wait_out_restart=False, **kwargs)  # type: ignore[arg-type]


class Network:
    """Sends that arrive somewhere between their start and their answer."""

    def __init__(self, vt: VirtualTime, pacer: Pacer, seed: int = 1, latency: float = 0.2):
        self.vt, self.pacer = vt, pacer
        self.rng = random.Random(seed)
        self.latency = latency
        self.arrivals: list[float] = []
        self.by_chat: dict[int, list[float]] = {}
        self.order: list[str] = []

    async def send(self, chat: int | None, *, broadcast: bool = True, label: str = "") -> None:
        async with self.pacer.slot(chat, broadcast=broadcast):
            self.order.append(label)
            round_trip = self.rng.uniform(0.0, self.latency)
            uplink = self.rng.uniform(0.0, round_trip)
            await self.vt.sleep(uplink)
            self.arrivals.append(self.vt.now)
            if chat is not None:
                self.by_chat.setdefault(chat, []).append(self.vt.now)
            await self.vt.sleep(round_trip - uplink)


@pytest.mark.parametrize("rate", [1, 7, 30])
async def test_never_more_than_the_limit_arrive_in_any_second(rate: int) -> None:
    vt = VirtualTime()
    net = Network(vt, make(vt, rate, limit=rate))
    await asyncio.gather(*(net.send(user) for user in range(rate * 8)))
    assert len(net.arrivals) == rate * 8
    assert most_in_any_window(net.arrivals) <= rate
    # and it does not crawl: each window costs at most one round trip more
    assert vt.now <= 8 * (1.0 + net.latency) + 1.0


async def test_one_message_per_chat_per_second_for_replies_and_broadcasts() -> None:
    vt = VirtualTime()
    net = Network(vt, make(vt, 30))
    sends = [net.send(42, broadcast=n % 2 == 0) for n in range(6)]
    await asyncio.gather(*sends, *(net.send(100 + n) for n in range(20)))
    assert most_in_any_window(net.by_chat[42]) == 1
    assert len(net.by_chat[42]) == 6


async def test_a_chat_waiting_for_its_second_does_not_hold_up_other_chats() -> None:
    vt = VirtualTime()
    net = Network(vt, make(vt, 30), latency=0.0)
    await net.send(1, broadcast=False, label="first")
    await asyncio.gather(
        net.send(1, broadcast=False, label="same chat"),
        net.send(2, broadcast=False, label="other chat"),
    )
    assert net.order == ["first", "other chat", "same chat"]


async def test_a_chat_gets_its_burst_then_waits_for_the_window() -> None:
    vt = VirtualTime()
    net = Network(vt, make(vt, 30, chat_burst=3), latency=0.0)
    await asyncio.gather(*(net.send(7, broadcast=False) for _ in range(7)))
    assert len(net.by_chat[7]) == 7
    assert most_in_any_window(net.by_chat[7]) == 3


async def test_the_pacer_forgets_each_chat_soon_after_its_last_send() -> None:
    vt = VirtualTime()
    pacer = make(vt, 1000, limit=1000)
    net = Network(vt, pacer, latency=0.0)
    await asyncio.gather(*(net.send(chat) for chat in range(500)))
    assert pacer.chats_remembered() == 500  # each can still hold back a second send
    await vt.sleep(2 * pacer.window)  # pruned once a window: gone within two
    await net.send(9999)
    assert pacer.chats_remembered() == 1


async def test_a_send_cancelled_while_waiting_gives_its_chats_turn_back() -> None:
    vt = VirtualTime()
    pacer = make(vt, 1, limit=1)
    held = await pacer.acquire(2)  # the only slot, not answered yet
    waiting = asyncio.create_task(pacer.acquire(1))
    for _ in range(5):
        await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    held.done()
    await vt.sleep(pacer.window)  # the overall slot is free again
    again = asyncio.create_task(pacer.acquire(1))
    for _ in range(5):
        await asyncio.sleep(0)
    assert again.done()  # chat 1 never sent: its turn is free at once
    again.result().done()
    assert pacer.chats_remembered() == 1  # chat 1's send; chat 2's answer expired


async def test_a_send_unanswered_for_seconds_holds_its_chat_while_others_come_and_go() -> None:
    vt = VirtualTime()
    pacer = make(vt, 30)
    slow = await pacer.acquire(1, broadcast=False)  # Telegram answers it only at 3.5 s

    async def other_chats() -> None:
        for n in range(5):  # a send each window: each prunes the chats nothing holds back
            await vt.sleep(pacer.window)
            (await pacer.acquire(100 + n)).done()

    async def answer() -> None:
        await vt.sleep(3.5)
        slow.done()

    async def next_reply() -> float:
        await vt.sleep(0.1)
        taken = await pacer.acquire(1, broadcast=False)
        taken.done()
        return vt.now

    *_, started = await asyncio.gather(other_chats(), answer(), next_reply())
    assert started >= 3.5 + pacer.window  # a window after the slow send's answer
    await vt.sleep(2 * pacer.window)
    (await pacer.acquire(200)).done()
    assert pacer.chats_remembered() == 1  # chat 1 and its waiter are forgotten


async def test_replies_take_a_free_slot_before_waiting_broadcast_sends() -> None:
    vt = VirtualTime()
    pacer = make(vt, 30, limit=30)
    net = Network(vt, pacer, latency=0.05)

    async def reply_later(n: int) -> None:
        await vt.sleep(0.5)
        await net.send(10_000 + n, broadcast=False, label="reply")

    await asyncio.gather(
        *(net.send(user, label="broadcast") for user in range(120)),
        *(reply_later(n) for n in range(5)),
    )
    assert most_in_any_window(net.arrivals) <= 30
    # The replies came while 90 broadcast sends were waiting: they went right after the
    # first window, before any of those.
    first_reply = net.order.index("reply")
    assert first_reply <= 30 + 1
    assert net.order[first_reply : first_reply + 5] == ["reply"] * 5


async def test_a_broadcast_sends_evenly_so_a_reply_finds_a_slot_soon() -> None:
    vt = VirtualTime()
    pacer = make(vt, 30, limit=30)
    net = Network(vt, pacer, latency=0.05)
    waits: list[float] = []

    async def reply_later(n: int) -> None:
        await vt.sleep(3.0 + n * 0.37)
        asked = vt.now
        await net.send(10_000 + n, broadcast=False, label="reply")
        waits.append(vt.now - asked)

    await asyncio.gather(
        *(net.send(user, label="broadcast") for user in range(300)),
        *(reply_later(n) for n in range(5)),
    )
    assert most_in_any_window(net.arrivals) <= 30
    # Broadcast sends are spaced a thirtieth of a window apart, never in bursts: a reply
    # waits for the next slot to free up, not for a whole window (virtual time).
    assert max(waits) < 0.2


async def test_while_people_talk_a_broadcast_leaves_room_for_a_burst_of_replies() -> None:
    vt = VirtualTime()
    pacer = make(vt, 30, limit=30)
    net = Network(vt, pacer, latency=0.05)
    burst_waits: list[float] = []

    async def talker(n: int) -> None:  # 5 replies a second from t = 2 s on
        await vt.sleep(2.1 + n * 0.2)
        await net.send(10_000 + n, broadcast=False, label="reply")

    async def burst(n: int) -> None:  # then 3 people at the same moment
        await vt.sleep(5.0)
        asked = vt.now
        await net.send(20_000 + n, broadcast=False, label="burst")
        burst_waits.append(vt.now - asked)

    await asyncio.gather(
        *(net.send(user, label="broadcast") for user in range(600)),
        *(talker(n) for n in range(20)),
        *(burst(n) for n in range(3)),
    )
    assert most_in_any_window(net.arrivals) <= 30
    # Replies lately held slots free: the burst found them at once (virtual time), instead
    # of taking the broadcast's slots one by one as they expire (3 × 1/30 s).
    assert max(burst_waits) < 0.05


async def test_a_broadcast_alone_uses_the_whole_limit() -> None:
    vt = VirtualTime()
    pacer = make(vt, 30, limit=30)
    net = Network(vt, pacer, latency=0.0)
    await asyncio.gather(*(net.send(user) for user in range(300)))
    assert most_in_any_window(net.arrivals) == 30
    assert vt.now < 10.1


class JitteryNetwork(Network):
    """Like the stand-in: each way takes a fixed half round trip plus its own jitter."""

    def __init__(self, vt: VirtualTime, pacer: Pacer, base: float, jitter: float) -> None:
        super().__init__(vt, pacer)
        self.base, self.jitter = base, jitter

    async def send(self, chat: int | None, *, broadcast: bool = True, label: str = "") -> None:
        async with self.pacer.slot(chat, broadcast=broadcast):
            await self.vt.sleep(self.base / 2 + self.rng.uniform(0.0, self.jitter))
            self.arrivals.append(self.vt.now)
            await self.vt.sleep(self.base / 2 + self.rng.uniform(0.0, self.jitter))


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_a_broadcast_pays_for_the_round_trips_jitter_not_the_whole_round_trip(
    seed: int,
) -> None:
    # 20 ms each way at least, up to 40 ms more each way: 80 ± 40 ms round trips.
    vt = VirtualTime()
    net = JitteryNetwork(vt, make(vt, 30, limit=30), base=0.04, jitter=0.04)
    net.rng.seed(seed)
    await asyncio.gather(*(net.send(user) for user in range(900)))
    assert most_in_any_window(net.arrivals) <= 30
    # Counting every send to its answer allows 30 per 1.08 s (27.8/s); once the shortest
    # round trip is known, a send costs only what its round trip took beyond it.
    settled = sorted(net.arrivals)[300:]
    rate = (len(settled) - 1) / (settled[-1] - settled[0])
    assert rate > 28.4


async def test_a_429_from_one_chat_delays_that_chat_only() -> None:
    vt = VirtualTime()
    pacer = make(vt, 30)
    net = Network(vt, pacer, latency=0.0)
    await net.send(5, broadcast=False)
    assert pacer.retry_after(5, 10) is False
    await net.send(6, broadcast=False)
    assert vt.now < 1.0  # the other chat went at once
    await net.send(5, broadcast=False)
    assert vt.now >= 10.0
    assert pacer.chat_delays == 1 and pacer.global_pauses == 0


async def test_a_429_while_the_window_is_full_pauses_every_send() -> None:
    vt = VirtualTime()
    pacer = make(vt, 3, limit=3)
    net = Network(vt, pacer, latency=0.0)
    for user in range(3):
        await net.send(user)
    assert pacer.retry_after(2, 5) is True
    await net.send(99)
    assert vt.now >= 5.0
    assert pacer.global_pauses == 1


async def test_429s_from_two_chats_in_one_window_pause_every_send() -> None:
    vt = VirtualTime()
    pacer = make(vt, 30)
    assert pacer.retry_after(1, 3) is False
    assert pacer.retry_after(2, 3) is True
    net = Network(vt, pacer, latency=0.0)
    await net.send(77)
    assert vt.now >= 3.0


async def test_paid_broadcasts_have_their_own_pool_and_replies_keep_the_free_limit() -> None:
    vt = VirtualTime()
    pacer = make(vt, 1000, limit=30, paid=True)
    net = Network(vt, pacer, latency=0.0)
    await asyncio.gather(*(net.send(user) for user in range(1000)))
    assert vt.now <= pacer.window  # 1,000 in the first window, none held back by 30/s
    replies = Network(vt, pacer, latency=0.0)
    await asyncio.gather(*(replies.send(5000 + n, broadcast=False) for n in range(40)))
    assert most_in_any_window(replies.arrivals) <= 30
    assert most_in_any_window(net.arrivals + replies.arrivals) <= 1000


async def test_an_unpaid_broadcast_on_a_paid_bot_keeps_the_free_limit() -> None:
    vt = VirtualTime()
    pacer = make(vt, 1000, limit=30, paid=True)
    arrivals: list[float] = []

    async def send(user: int) -> None:
        async with pacer.slot(user, paid=False):
            arrivals.append(vt.now)

    await asyncio.gather(*(send(user) for user in range(90)))
    assert most_in_any_window(arrivals) <= 30


async def test_a_restarted_process_waits_out_the_last_window_before_sending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A killed predecessor's last sends can arrive up to a window after it died, which
    # was before this process started 0.2 s ago: the first send waits the remaining 0.8 s.
    monkeypatch.setattr(pacer_module, "_process_age", lambda: 0.2)
    vt = VirtualTime()
    pacer = Pacer(30, clock=vt.clock, sleep=vt.sleep)
    await Network(vt, pacer, latency=0.0).send(1)
    assert vt.now >= 0.8
    real_age = pacer_module._process_age()
    assert real_age is not None and real_age > 0
