"""A name that is withdrawn, cancelled, dropped, retired or erased leaves every file.

Each test drives the real bot through the stand-in, then reads the bytes of the SQLite
file and its -wal and -shm companions: the typed name and organisation must be nowhere.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import sys
import textwrap
from pathlib import Path

import pytest

from jfa_bot.app import JfaApplication
from jfa_bot.cli import main
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer
from jfa_bot.settings import Settings
from tests.conftest import BotRunner, press, settle, store_of
from tests.e2e.test_petition import sign
from tests.security.conftest import database_files, mode_of, on_disk

EN = Translator.for_locale("en")
NAME = "Zephyrine Okonkwo-Mbatha"
ORGANISATION = "Kivu Paralegal Collective"


async def _sign(sandbox: BotApiServer, user_id: int) -> None:
    user = sandbox.user(user_id, first_name="Z", language_code="en")
    await sign(user, name=NAME, country_query="Kenya", country="KE", organisation=ORGANISATION)


async def test_a_withdrawn_signature_leaves_no_name_in_the_database_files(
    sandbox: BotApiServer, bot: JfaApplication, bot_settings: Settings
) -> None:
    await _sign(sandbox, 3001)
    assert on_disk(bot_settings.db_path, NAME, ORGANISATION)  # it was there
    user = sandbox.user(3001)
    await user.ask("/withdraw")
    [done] = await press(user, EN.gettext("Yes, withdraw my signature"))
    assert done.plain.startswith(EN.gettext("Your signature has been withdrawn.")[:20])
    assert on_disk(bot_settings.db_path, NAME, ORGANISATION) == {}
    assert await store_of(bot).db.pending_erasures() == 0


async def test_a_cancelled_form_leaves_no_typed_name_on_disk(
    sandbox: BotApiServer, bot: JfaApplication, bot_settings: Settings
) -> None:
    user = sandbox.user(3002, language_code="en")
    await user.ask("/sign")
    await press(user, EN.gettext("✍️ Sign with another name"))
    await user.ask(NAME)
    assert on_disk(bot_settings.db_path, NAME)  # the form keeps the typed name meanwhile
    [cancelled] = await user.ask("/cancel")
    assert cancelled.plain == EN.gettext("Cancelled. Nothing was saved.")
    assert on_disk(bot_settings.db_path, NAME) == {}


async def test_an_idle_form_dropped_by_the_job_leaves_no_typed_name_on_disk(
    sandbox: BotApiServer, bot: JfaApplication, bot_settings: Settings
) -> None:
    user = sandbox.user(3003, language_code="en")
    await user.ask("/sign")
    await press(user, EN.gettext("✍️ Sign with another name"))
    await user.ask(NAME)
    await store_of(bot).db.execute("UPDATE flows SET updated_at = '2000-01-01T00:00:00Z'")
    [job] = bot.job_queue.get_jobs_by_name("close-idle-forms")  # type: ignore[union-attr]
    await job.run(bot)
    await user.wait()
    assert on_disk(bot_settings.db_path, NAME) == {}


async def test_retention_removes_names_from_signatures_and_requests_and_from_disk(
    sandbox: BotApiServer, run_bot: BotRunner, bot_settings: Settings
) -> None:
    async with run_bot(retention_days=30) as app:
        await _sign(sandbox, 3004)
        user = sandbox.user(3004)
        # The webinar form copies the signature's name into a request record.
        await user.ask("/webinar", n=2)
        await press(user, EN.gettext("Yes, use them"))
        await press(user, EN.gettext("✅ I agree"))
        await user.quiet()
        store = store_of(app)
        assert await store.db.scalar("SELECT COUNT(*) FROM requests WHERE name = ?", (NAME,))
        await store.db.execute("UPDATE signatures SET signed_at = '2000-01-01T00:00:00Z'")
        await store.db.execute("UPDATE requests SET at = '2000-01-01T00:00:00Z'")
        [job] = app.job_queue.get_jobs_by_name("retention")  # type: ignore[union-attr]
        await job.run(app)
        rows = await store.db.fetchall("SELECT name, organisation FROM requests")
        assert [tuple(r) for r in rows] == [(None, None)]
        assert on_disk(bot_settings.db_path, NAME, ORGANISATION) == {}


async def test_forget_waits_for_a_concurrent_reader_then_leaves_nothing_on_disk(
    sandbox: BotApiServer,
    bot: JfaApplication,
    bot_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _sign(sandbox, 3005)
    user = sandbox.user(3005)
    # Another connection holds a read snapshot (a backup, a health check on a big file).
    reader = sqlite3.connect(bot_settings.db_path, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT COUNT(*) FROM signatures").fetchone() == (1,)
    await user.ask("/forget")
    message = next(
        m
        for m in reversed(user.messages)
        if m.find_button(label=EN.gettext("Yes, erase everything"))
    )
    with caplog.at_level(logging.INFO):
        await user.press(label=EN.gettext("Yes, erase everything"), message_id=message.message_id)
        await asyncio.sleep(0.5)  # let the erasure find the log held by the reader
        assert await store_of(bot).db.pending_erasures() == 1
        reader.execute("COMMIT")
        reader.close()
        [erased] = await user.wait()
    assert erased.plain.startswith(EN.gettext("Everything we held about you has been erased."))
    assert on_disk(bot_settings.db_path, NAME, ORGANISATION) == {}
    assert await store_of(bot).db.pending_erasures() == 0
    waited = [
        r for r in caplog.records if "waited" in r.getMessage() and "reader" in r.getMessage()
    ]
    assert waited and waited[0].levelno == logging.WARNING


_KILLED_DURING_ERASE = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from jfa_bot.store import Database, Store

    async def killed_after_commit():
        # SIGKILL at the worst moment: the erasure is committed, the checkpoint not done.
        os.kill(os.getpid(), signal.SIGKILL)

    async def main():
        store = await Store.open(sys.argv[1])
        Database.checkpoint = lambda self, max_wait=None: killed_after_commit()
        await store.personal_data.erase(int(sys.argv[2]))

    asyncio.run(main())
    """
)


async def test_an_erasure_killed_before_its_checkpoint_is_finished_at_start_up(
    sandbox: BotApiServer, run_bot: BotRunner, bot_settings: Settings
) -> None:
    async with run_bot():
        await _sign(sandbox, 3006)
    db_path = bot_settings.db_path
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _KILLED_DURING_ERASE, str(db_path), "3006"
    )
    assert await child.wait() == -signal.SIGKILL
    assert on_disk(db_path, NAME)  # the crash left the old copy on disk
    async with run_bot() as app:
        assert on_disk(db_path, NAME, ORGANISATION) == {}
        assert await store_of(app).signatures.get(3006) is None
        assert await store_of(app).db.pending_erasures() == 0


async def test_database_backups_and_exports_are_readable_by_the_owner_only(
    sandbox: BotApiServer,
    bot: JfaApplication,
    bot_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    old = os.umask(0o022)  # the usual default, which makes new files world-readable
    try:
        await _sign(sandbox, 3007)
        files = database_files(bot_settings.db_path)
        assert {p.name for p in files} == {"bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm"}
        assert {p.name: mode_of(p) for p in files} == {p.name: 0o600 for p in files}
        monkeypatch.setenv("JFA_DB_PATH", str(bot_settings.db_path))
        made = [tmp_path / "backup.sqlite3", tmp_path / "signatures.csv", tmp_path / "hand.zip"]
        for argv in (
            ["backup", str(made[0])],
            ["export", "signatures", str(made[1])],
            ["export", "handover", str(made[2])],
        ):
            assert await asyncio.to_thread(main, argv) == 0, argv
        assert {p.name: mode_of(p) for p in made} == {p.name: 0o600 for p in made}
    finally:
        os.umask(old)


async def test_an_existing_world_readable_database_is_made_owner_only(
    sandbox: BotApiServer, run_bot: BotRunner, bot_settings: Settings
) -> None:
    async with run_bot():
        pass
    os.chmod(bot_settings.db_path, 0o644)
    async with run_bot() as app:
        await settle(sandbox, app)
        assert mode_of(bot_settings.db_path) == 0o600


async def test_an_erasure_blocked_past_its_wait_is_finished_by_the_periodic_job(
    sandbox: BotApiServer,
    bot: JfaApplication,
    bot_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import jfa_bot.store.db

    monkeypatch.setattr(jfa_bot.store.db, "CHECKPOINT_WAIT", 0.3)  # keep the test short
    await _sign(sandbox, 3008)
    user = sandbox.user(3008)
    reader = sqlite3.connect(bot_settings.db_path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM signatures").fetchone()
    with caplog.at_level(logging.WARNING):
        await user.ask("/withdraw")
        await press(user, EN.gettext("Yes, withdraw my signature"))
    assert any("still blocked by a reader" in r.getMessage() for r in caplog.records)
    store = store_of(bot)
    assert await store.db.pending_erasures() == 1  # owed, and said so
    reader.execute("COMMIT")
    reader.close()
    [job] = bot.job_queue.get_jobs_by_name("finish-erasures")  # type: ignore[union-attr]
    await job.run(bot)
    assert await store.db.pending_erasures() == 0
    assert on_disk(bot_settings.db_path, NAME, ORGANISATION) == {}


async def test_a_form_replaced_by_another_leaves_no_typed_name_on_disk(
    sandbox: BotApiServer, bot: JfaApplication, bot_settings: Settings
) -> None:
    user = sandbox.user(3009, language_code="en")
    await user.ask("/sign")
    await press(user, EN.gettext("✍️ Sign with another name"))
    await user.ask(NAME)
    assert on_disk(bot_settings.db_path, NAME)
    await user.ask("/webinar", n=2)  # its form replaces the signing form and its answers
    flow = await store_of(bot).flows.get(3009)
    assert flow is not None and flow.kind != "sign"
    assert on_disk(bot_settings.db_path, NAME) == {}


async def test_a_name_replaced_in_the_form_before_signing_leaves_no_trace_on_disk(
    sandbox: BotApiServer, bot: JfaApplication, bot_settings: Settings
) -> None:
    """A signer types a name, then corrects it at the check screen: the first is gone."""
    user = sandbox.user(3012, language_code="en")
    await user.ask("/sign")
    await press(user, EN.gettext("✍️ Sign with another name"))
    await user.ask(NAME)
    await user.ask("Kenya")  # taken without a tap
    await user.ask(ORGANISATION)
    await press(user, EN.gettext("No, only count my signature"))
    await press(user, EN.gettext("✏️ Name"))
    assert on_disk(bot_settings.db_path, NAME)  # still the form's answer
    [check] = await user.ask("Amani Wanjiru")
    assert "Amani Wanjiru" in check.plain and NAME not in check.plain
    await press(user, EN.gettext("✏️ Organisation"))
    await press(user, EN.gettext("Skip"))
    assert on_disk(bot_settings.db_path, NAME, ORGANISATION) == {}
    assert await store_of(bot).db.pending_erasures() == 0


async def test_a_name_typed_again_after_going_back_leaves_no_trace_on_disk(
    sandbox: BotApiServer, bot: JfaApplication, bot_settings: Settings
) -> None:
    """A defender types a name in the webinar form, starts over, types another: one stays."""
    user = sandbox.user(3013, language_code="en")
    await user.ask("/sign")
    await press(user, EN.gettext("✍️ Sign with another name"))
    await user.ask(NAME)
    await press(user, EN.gettext("← Back"))
    await user.ask("Amani Wanjiru")
    assert on_disk(bot_settings.db_path, NAME) == {}
    await user.ask("/cancel")
    await user.ask("/webinar", n=2)
    await user.ask(NAME)
    await user.ask(ORGANISATION)
    # The webinar form restarts from the name when /webinar is asked again.
    await user.ask("/webinar", n=2)
    await user.ask("Amani Wanjiru")
    assert on_disk(bot_settings.db_path, NAME, ORGANISATION) == {}
