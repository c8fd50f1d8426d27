"""The broadcast engine against a real store and an in-process fake of Telegram's answers."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from jfa_bot.broadcast.engine import BroadcastEngine, EngineConfig
from jfa_bot.broadcast.pacer import Pacer
from jfa_bot.store import Store
from jfa_bot.store.broadcasts import (
    BroadcastKind,
    BroadcastPost,
    BroadcastState,
    DeliveryState,
)


class FakeTelegram:
    """Answer sends like Telegram would, with scripted failures per chat."""

    def __init__(self) -> None:
        self.delivered: Counter[int] = Counter()
        self.texts: dict[int, str] = {}
        self.script: dict[int, list[Exception]] = {}
        self.calls = 0

    async def send(self, chat_id: int, post: BroadcastPost, *, paid: bool) -> None:
        self.calls += 1
        failures = self.script.get(chat_id)
        if failures:
            raise failures.pop(0)
        self.delivered[chat_id] += 1
        self.texts[chat_id] = post.text


async def subscribers(store: Store, ids: range, locale: str = "en") -> None:
    for user_id in ids:
        await store.users.touch(user_id, locale)
        await store.subscriptions.subscribe(user_id, locale, "v1")


def engine(store: Store, fake: FakeTelegram, **config: int) -> BroadcastEngine:
    settings = {"rate": 1000, "in_flight": 10, "max_attempts": 3} | config
    return BroadcastEngine(
        store,
        fake,
        EngineConfig(**settings, backoff=(0.01,)),
        pacer=Pacer(settings["rate"], limit=1000),
    )


async def run(store: Store, eng: BroadcastEngine, variants: dict[str, str] | None = None) -> int:
    broadcast, _ = await store.broadcasts.create(
        kind=BroadcastKind.CUSTOM,
        label="Test",
        variants=variants or {"en": "Hello", "fr": "Bonjour"},
        default_locale="en",
    )
    eng.start(broadcast.id)
    await eng.wait(broadcast.id)
    return broadcast.id


async def test_everyone_gets_one_message_in_their_language(store: Store) -> None:
    await subscribers(store, range(1, 41), "en")
    await subscribers(store, range(41, 61), "fr")
    await subscribers(store, range(61, 71), "sw")  # no Swahili variant: the default
    fake = FakeTelegram()
    broadcast_id = await run(store, engine(store, fake))
    assert set(fake.delivered.values()) == {1} and len(fake.delivered) == 70
    assert fake.texts[50] == "Bonjour" and fake.texts[65] == "Hello"
    progress = await store.broadcasts.progress(broadcast_id)
    assert progress.count(DeliveryState.SENT) == 70
    assert (await store.broadcasts.get(broadcast_id)).state is BroadcastState.DONE  # type: ignore[union-attr]


async def test_blocked_users_are_unsubscribed_and_final(store: Store) -> None:
    await subscribers(store, range(1, 11))
    fake = FakeTelegram()
    fake.script[3] = [Forbidden("Forbidden: bot was blocked by the user")]
    fake.script[4] = [BadRequest("Bad Request: chat not found")]
    broadcast_id = await run(store, engine(store, fake))
    progress = await store.broadcasts.progress(broadcast_id)
    assert progress.count(DeliveryState.BLOCKED) == 2
    assert not await store.subscriptions.is_subscribed(3)
    assert (await store.users.get(3)).blocked_at is not None  # type: ignore[union-attr]
    consents = (await store.personal_data.export(3))["consents"]
    assert consents[-1]["kind"] == "updates" and consents[-1]["given"] is False
    # the next broadcast does not even try them
    fake2 = FakeTelegram()
    await run(store, engine(store, fake2))
    assert 3 not in fake2.delivered and len(fake2.delivered) == 8


async def test_temporary_failures_are_retried_then_left_retryable(store: Store) -> None:
    await subscribers(store, range(1, 6))
    fake = FakeTelegram()
    fake.script[1] = [NetworkError("Bad Gateway"), TimedOut()]  # then succeeds
    fake.script[2] = [TimedOut(), TimedOut(), TimedOut(), TimedOut()]  # never within 3 tries
    eng = engine(store, fake, max_attempts=3)
    broadcast_id = await run(store, eng)
    progress = await store.broadcasts.progress(broadcast_id)
    assert fake.delivered[1] == 1
    assert progress.count(DeliveryState.RETRYABLE) == 1
    assert progress.count(DeliveryState.SENT) == 4
    # the organizer retries the retryable set: now it goes through
    assert await eng.retry(broadcast_id) == 1
    await eng.wait(broadcast_id)
    assert fake.delivered[2] == 1
    assert (await store.broadcasts.progress(broadcast_id)).count(DeliveryState.SENT) == 5


async def test_retry_after_pauses_and_uses_no_attempt(store: Store) -> None:
    await subscribers(store, range(1, 4))
    fake = FakeTelegram()
    fake.script[2] = [RetryAfter(dt.timedelta(seconds=1))] * 2
    eng = engine(store, fake, max_attempts=1)
    broadcast_id = await run(store, eng)
    assert fake.delivered[2] == 1
    assert (await store.broadcasts.progress(broadcast_id)).count(DeliveryState.SENT) == 3


async def test_a_content_error_aborts_after_the_first_failure(store: Store) -> None:
    await subscribers(store, range(1, 101))
    fake = FakeTelegram()
    for user_id in range(1, 101):
        fake.script[user_id] = [BadRequest("Can't parse entities: unsupported start tag")]
    eng = engine(store, fake, in_flight=1)
    broadcast_id = await run(store, eng, {"en": "<blink>x</blink>"})
    broadcast = await store.broadcasts.get(broadcast_id)
    assert broadcast is not None and broadcast.state is BroadcastState.ABORTED
    assert "parse entities" in (broadcast.error or "")
    assert fake.calls == 1
    progress = await store.broadcasts.progress(broadcast_id)
    assert progress.count(DeliveryState.FAILED) == 1
    assert progress.count(DeliveryState.PENDING) == 99


async def test_after_a_crash_only_the_batch_in_flight_is_sent_again(store: Store) -> None:
    await subscribers(store, range(1, 31))
    broadcast, recipients = await store.broadcasts.create(
        kind=BroadcastKind.CUSTOM,
        label="Crash",
        variants={"en": "Hi"},
        default_locale="en",
    )
    assert recipients == 30
    # The crashed process had sent a first batch and claimed a second one.
    first = await store.broadcasts.claim(broadcast.id, 10)
    from jfa_bot.store.broadcasts import Outcome

    await store.broadcasts.record(
        broadcast.id, [Outcome(c.user_id, DeliveryState.SENT) for c in first]
    )
    in_flight = await store.broadcasts.claim(broadcast.id, 10)
    fake = FakeTelegram()
    eng = engine(store, fake)
    assert await eng.resume_unfinished() == [broadcast.id]
    await eng.wait(broadcast.id)
    assert len(fake.delivered) == 20  # the in-flight 10 again, and the 10 never claimed
    assert {c.user_id for c in in_flight} <= set(fake.delivered)
    assert not {c.user_id for c in first} & set(fake.delivered)
    assert (await store.broadcasts.progress(broadcast.id)).count(DeliveryState.SENT) == 30


async def test_pause_and_cancel_stop_within_the_batch_in_flight(store: Store) -> None:
    await subscribers(store, range(1, 51))
    fake = FakeTelegram()
    eng = engine(store, fake, in_flight=5, rate=20)
    broadcast, _ = await store.broadcasts.create(
        kind=BroadcastKind.CUSTOM,
        label="Pause",
        variants={"en": "Hi"},
        default_locale="en",
    )
    eng.start(broadcast.id)
    async with asyncio.timeout(10):
        while len(fake.delivered) < 7:
            await asyncio.sleep(0.01)
    assert await eng.pause(broadcast.id)
    at_pause = len(fake.delivered)
    await eng.wait(broadcast.id)
    paused = await store.broadcasts.progress(broadcast.id)
    assert len(fake.delivered) <= at_pause + 5  # at most the batch in flight
    assert paused.count(DeliveryState.SENT) == len(fake.delivered)
    assert paused.remaining == 50 - len(fake.delivered)  # the unsent are pending again
    assert await eng.resume(broadcast.id)
    assert await eng.cancel(broadcast.id)
    await eng.wait(broadcast.id)
    final = await store.broadcasts.get(broadcast.id)
    assert final is not None and final.state is BroadcastState.CANCELLED
    assert not await eng.resume(broadcast.id)
    assert set(fake.delivered.values()) == {1}


@pytest.mark.parametrize("in_flight", [1, 7])
async def test_a_million_recipients_are_never_claimed_at_once(
    store: Store, in_flight: int
) -> None:
    await subscribers(store, range(1, 21))
    broadcast, _ = await store.broadcasts.create(
        kind=BroadcastKind.CUSTOM,
        label="x",
        variants={"en": "x"},
        default_locale="en",
    )
    batch = await store.broadcasts.claim(broadcast.id, in_flight)
    assert len(batch) == in_flight
    sending = (await store.broadcasts.progress(broadcast.id)).count(DeliveryState.SENDING)
    assert sending == in_flight


async def test_the_pipeline_never_has_more_than_in_flight_rows_sending(store: Store) -> None:
    await subscribers(store, range(1, 81))

    class SlowTelegram(FakeTelegram):
        async def send(self, chat_id: int, post: BroadcastPost, *, paid: bool) -> None:
            await asyncio.sleep(0.002 * (chat_id % 5))  # answers come back out of order
            await super().send(chat_id, post, paid=paid)

    fake = SlowTelegram()
    eng = engine(store, fake, in_flight=7)
    broadcast, _ = await store.broadcasts.create(
        kind=BroadcastKind.CUSTOM, label="Pipe", variants={"en": "Hi"}, default_locale="en"
    )
    eng.start(broadcast.id)
    most_sending = 0
    while eng.is_running(broadcast.id):
        progress = await store.broadcasts.progress(broadcast.id)
        most_sending = max(most_sending, progress.count(DeliveryState.SENDING))
        await asyncio.sleep(0.001)
    await eng.wait(broadcast.id)
    assert 1 < most_sending <= 7  # claimed as sends finish, never beyond the bound
    assert set(fake.delivered.values()) == {1} and len(fake.delivered) == 80
    final = await store.broadcasts.get(broadcast.id)
    assert final is not None and final.state is BroadcastState.DONE
