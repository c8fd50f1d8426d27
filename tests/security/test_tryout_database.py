"""`jfa-bot try` never runs on the bot's own database.

`jfa-bot try` runs the real bot against a stand-in: on the production file it would act
on real people's records while nothing reaches Telegram. The weekly spotlight it catches
up would be recorded as delivered to every real subscriber (who never got it, and the
real bot would not send it again), and export records would be dropped after deleting
the files "from" stand-in chats (the real files would stay in the organizers' chats).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from jfa_bot.cli import EXIT_CONFIG


def test_trying_the_bot_on_its_own_database_is_refused(tmp_path: Path) -> None:
    db_path = tmp_path / "jfa.sqlite3"
    env = {**os.environ, "JFA_DB_PATH": str(db_path)}
    for given in (str(db_path), f"{tmp_path}/./jfa.sqlite3"):
        done = subprocess.run(
            [sys.executable, "-m", "jfa_bot", "try", "--db", given],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
        assert done.returncode == EXIT_CONFIG, done.stderr
        assert "JFA_DB_PATH" in done.stderr
    assert not db_path.exists()  # not even opened
