"""The command line: clear errors with exit status 2, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jfa_bot import __version__
from jfa_bot.cli import main
from jfa_bot.content import SAMPLE_DIR


def test_run_without_a_token_explains_how_to_get_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "JFA_BOT_TOKEN is not set" in err
    assert "@BotFather" in err and "jfa-bot try" in err


def test_malformed_settings_exit_2_with_one_line_each(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JFA_ADMIN_IDS", "1,two")
    monkeypatch.setenv("JFA_LOG_LEVEL", "LOUD")
    monkeypatch.setenv("JFA_BROADCAST_RATE", "500")
    with pytest.raises(SystemExit) as caught:
        main(["run"])
    assert caught.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert [line.split(":")[1].strip() for line in lines] == [
        "JFA_ADMIN_IDS",
        "JFA_LOG_LEVEL",
        "JFA_BROADCAST_RATE",
    ]
    assert all(line.startswith("error: ") for line in lines)
    assert "Traceback" not in "\n".join(lines)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"jfa-bot {__version__}"


def test_migrate_then_health(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("JFA_DB_PATH", str(db))
    assert main(["health"]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["migrate"]) == 0
    assert "schema version" in capsys.readouterr().out
    assert main(["migrate"]) == 0
    assert "nothing to apply" in capsys.readouterr().out
    assert main(["health"]) == 0


def test_content_check_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "check"]) == 0
    folder = tmp_path / "content"
    shutil.copytree(SAMPLE_DIR, folder)
    (folder / "fr" / "petition.toml").write_text('version = "1"\ntitle = "T"\ntext = "<i>x"\n')
    assert main(["content", "check", "--dir", str(folder)]) == 1
    out = capsys.readouterr().out
    assert f"{folder / 'fr' / 'petition.toml'}:3: text: HTML Telegram would refuse" in out


def test_invalid_content_stops_run_with_the_report(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "content"
    shutil.copytree(SAMPLE_DIR, folder)
    (folder / "en" / "action-pack.pdf").unlink()
    monkeypatch.setenv("JFA_BOT_TOKEN", "123456:ABCDEFGHIJKLMNOP")
    monkeypatch.setenv("JFA_CONTENT_DIR", str(folder))
    monkeypatch.setenv("JFA_DB_PATH", str(tmp_path / "x.sqlite3"))
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "the content is not valid" in err and "action-pack.pdf' not found" in err
    assert "ABCDEFGHIJKLMNOP" not in err


async def _seed(db: Path) -> None:
    from jfa_bot.store import NewSignature, Store, Visibility

    store = await Store.open(db)
    for user_id, visibility in ((1, Visibility.PUBLIC), (2, Visibility.WITHHELD)):
        await store.users.touch(user_id, "en")
        await store.signatures.sign(
            NewSignature(
                user_id=user_id,
                name=f"Signer Number{user_id}",
                country="TZ",
                organisation=None,
                visibility=visibility,
                locale="en",
                petition_version="1/en",
                consent_version="c",
                signed_day="2026-11-22",
                wants_updates=False,
            )
        )
    await store.close()


async def test_backup_while_the_store_is_open_holds_the_same_rows(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import asyncio

    from jfa_bot.store import Store

    db = tmp_path / "live.sqlite3"
    await _seed(db)
    live = await Store.open(db)  # the bot is running
    monkeypatch.setenv("JFA_DB_PATH", str(db))
    target = tmp_path / "backup.sqlite3"
    assert await asyncio.to_thread(main, ["backup", str(target)]) == 0
    copy = await Store.open(target, migrate=False)
    try:
        assert await copy.db.integrity_check() == "ok"
        rows = await copy.db.fetchall("SELECT number, name FROM signatures ORDER BY number")
        assert [tuple(r) for r in rows] == [(1, "Signer Number1"), (2, "Signer Number2")]
        assert await copy.signatures.total() == 2
    finally:
        await copy.close()
        await live.close()


def test_backup_to_an_unwritable_path_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "b.sqlite3"
    import asyncio

    asyncio.run(_seed(db))
    monkeypatch.setenv("JFA_DB_PATH", str(db))
    assert main(["backup", str(tmp_path / "no" / "such" / "dir" / "x.sqlite3")]) == 1
    assert "could not write the backup" in capsys.readouterr().err


def test_stats_and_export_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    db = tmp_path / "s.sqlite3"
    asyncio.run(_seed(db))
    monkeypatch.setenv("JFA_DB_PATH", str(db))
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    assert "2 signatures" in out and "Tanzania: 2" in out and "1 signer withheld" in out
    assert "Requests by country" not in out  # no header with nothing under it
    target = tmp_path / "signatures.csv"
    assert main(["export", "signatures", str(target)]) == 0
    text = target.read_text(encoding="utf-8-sig")
    assert "Signer Number1" in text and "Signer Number2" not in text


def test_backups_into_a_folder_expire_after_the_retention_days(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio
    import os
    import time

    db = tmp_path / "b.sqlite3"
    asyncio.run(_seed(db))
    monkeypatch.setenv("JFA_DB_PATH", str(db))
    monkeypatch.setenv("JFA_BACKUP_RETENTION_DAYS", "7")
    folder = tmp_path / "backups"
    folder.mkdir()
    old, recent, other = (
        folder / "jfa-backup-20260101T000000Z.sqlite3",
        folder / "jfa-backup-20261125T000000Z.sqlite3",
        folder / "notes.sqlite3",
    )
    for path, days in ((old, 8), (recent, 6), (other, 100)):
        path.write_bytes(b"x")
        at = time.time() - days * 86400
        os.utime(path, (at, at))
    assert main(["backup", str(folder)]) == 0
    assert "deleted" in capsys.readouterr().out
    names = sorted(p.name for p in folder.iterdir())
    assert old.name not in names and recent.name in names and other.name in names
    assert len([n for n in names if n.startswith("jfa-backup-")]) == 2


def test_run_with_an_unwritable_database_folder_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv("JFA_BOT_TOKEN", "123456:TEST-token-for-the-stand-in")
    monkeypatch.setenv("JFA_DB_PATH", str(blocker / "jfa_bot.sqlite3"))
    for command in ("run", "migrate"):
        assert main([command]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert err.startswith(f"error: the database folder {blocker} is not writable")
        assert "JFA_DB_PATH" in err
