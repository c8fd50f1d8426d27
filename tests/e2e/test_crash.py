"""The bot process is killed with SIGKILL mid-broadcast; on restart nobody is left out."""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections import Counter
from pathlib import Path

import pytest

from jfa_bot.sandbox import BotApiServer
from jfa_bot.store import Store
from jfa_bot.store.broadcasts import BroadcastKind, BroadcastState, DeliveryState
from tests.conftest import ADMIN_ID, spawn_bot

# The quick version runs in CI; the full one is
#   JFA_CRASH_TRIALS=20 JFA_CRASH_RECIPIENTS=3000 python -m pytest tests/e2e/test_crash.py
TRIALS = int(os.environ.get("JFA_CRASH_TRIALS", "3"))
SUBSCRIBERS = int(os.environ.get("JFA_CRASH_RECIPIENTS", "300"))
REPORT = os.environ.get("JFA_CRASH_REPORT")  # read now: tests run without JFA_* variables
IN_FLIGHT = 10
FIRST_ID = 80_000


async def start_bot(sandbox: BotApiServer, db_path: Path, cwd: Path) -> asyncio.subprocess.Process:
    """Run `python -m jfa_bot run` as its own process, pointed at the stand-in."""
    return await spawn_bot(
        sandbox,
        db_path,
        cwd=cwd,
        JFA_BROADCAST_RATE="25",
        JFA_BROADCAST_IN_FLIGHT=str(IN_FLIGHT),
    )


def received(sandbox: BotApiServer) -> Counter[int]:
    return Counter(
        m.chat_id for m in sandbox.sent if FIRST_ID <= m.chat_id < FIRST_ID + SUBSCRIBERS
    )


async def wait_for(predicate, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("trial", range(TRIALS))
async def test_organizer_resumes_broadcast_after_a_crash(
    sandbox: BotApiServer, tmp_path: Path, trial: int
) -> None:
    db_path = tmp_path / "crash.sqlite3"
    store = await Store.open(db_path)
    for user_id in range(FIRST_ID, FIRST_ID + SUBSCRIBERS):
        sandbox.user(user_id, language_code="en")
        await store.users.touch(user_id, "en")
        await store.subscriptions.subscribe(user_id, "en", "test")
    broadcast, recipients = await store.broadcasts.create(
        kind=BroadcastKind.CUSTOM,
        label="Crash test",
        variants={"en": "Week 9: citizen engagement"},
        default_locale="en",
        paid=False,
        created_by=ADMIN_ID,
        report_chat_id=None,
    )
    await store.close()
    assert recipients == SUBSCRIBERS

    # The running broadcast is resumed at start-up; kill the process at a random moment.
    kill_after = random.Random(trial).randint(1, SUBSCRIBERS - IN_FLIGHT - 1)
    process = await start_bot(sandbox, db_path, tmp_path)
    try:
        await wait_for(lambda: sum(received(sandbox).values()) >= kill_after, 600)
        process.send_signal(signal.SIGKILL)
        assert await process.wait() == -signal.SIGKILL
        before_restart = sum(received(sandbox).values())
        assert before_restart < SUBSCRIBERS

        process = await start_bot(sandbox, db_path, tmp_path)
        await wait_for(lambda: len(received(sandbox)) == SUBSCRIBERS, 600)
        store = await Store.open(db_path, migrate=False)
        try:
            async with asyncio.timeout(30):
                while (await store.broadcasts.get(broadcast.id)).state is BroadcastState.RUNNING:  # type: ignore[union-attr]
                    await asyncio.sleep(0.1)
            progress = await store.broadcasts.progress(broadcast.id)
        finally:
            await store.close()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()

    counts = received(sandbox)
    duplicates = sum(counts.values()) - SUBSCRIBERS
    if REPORT:  # figures for the full run's note
        with open(REPORT, "a", encoding="utf-8") as out:  # noqa: ASYNC230
            out.write(
                f"trial {trial}: killed after {before_restart} sends, "
                f"{len(counts)}/{SUBSCRIBERS} reached, {duplicates} duplicate(s)\n"
            )
    assert len(counts) == SUBSCRIBERS  # every subscriber got the post
    assert 0 <= duplicates <= IN_FLIGHT  # only sends in flight at the kill may repeat
    assert progress.count(DeliveryState.SENT) == SUBSCRIBERS
    assert sandbox.stats.rate_limited == 0


async def test_supporter_resumes_signing_after_the_bot_is_killed(
    sandbox: BotApiServer, tmp_path: Path
) -> None:
    db_path = tmp_path / "signing.sqlite3"
    user = sandbox.user(90_001, first_name="Halima", language_code="en")
    process = await start_bot(sandbox, db_path, tmp_path)
    try:
        [intro] = await user.ask("/sign", timeout=30)
        sign = intro.find_button(label="✍️ Sign with another name")
        assert sign is not None and sign.callback_data
        await user.tap(sign.callback_data)
        [country_step] = await user.ask("Halima Said")
        assert country_step.plain.startswith("Step 2 of 5.")
        process.send_signal(signal.SIGKILL)
        await process.wait()
        process = await start_bot(sandbox, db_path, tmp_path)
        [choices] = await user.ask("Tanz", timeout=30)
        assert "Tanzania" in choices.button_labels()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()
    store = await Store.open(db_path, migrate=False)
    try:
        flow = await store.flows.get(90_001)
    finally:
        await store.close()
    assert flow is not None and flow.step == "country"
    assert flow.data["name"] == "Halima Said" and flow.data["matches"][0] == "TZ"
