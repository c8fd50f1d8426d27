"""`jfa-bot try`: the real bot against the local Telegram stand-in, in a terminal chat."""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import SecretStr

from jfa_bot.app import build_application, running
from jfa_bot.sandbox import BotApiServer, run_terminal_chat
from jfa_bot.settings import Settings

__all__ = ["TRY_TOKEN", "TRY_USER_ID", "run_tryout"]

#: A made-up token: the stand-in accepts it, real Telegram never would.
TRY_TOKEN = "123456789:TRY-local-sandbox-token"  # noqa: S105  (not a secret)
#: The simulated person chatting in the terminal.
TRY_USER_ID = 1000001

_BANNER = """\
JFA Bot — local try-out. You are chatting with the real bot through a Telegram stand-in
on 127.0.0.1; nothing leaves this machine. Type /start to begin, a number to press a
button, :lang xx to change your Telegram language, :help for more, :quit to leave.
"""
_ORGANIZER_BANNER = """\
You are an organizer here (--organizer): /broadcast, /broadcasts, /stats, /export, /audit
and /reload work as they do for the people in JFA_ADMIN_IDS.
"""


async def run_tryout(
    base: Settings,
    *,
    db_path: Path,
    language_code: str = "en",
    organizer: bool = False,
    latency: tuple[float, float] | None = None,
) -> None:
    """Start the stand-in and the bot, then chat until the input ends.

    With `organizer`, the simulated person is added to the organizers (JFA_ADMIN_IDS).
    `latency` is the stand-in's (round trip, ± jitter) in seconds; real Telegram's by default.
    """
    async with BotApiServer(
        token=TRY_TOKEN, bot_username="jfa_try_bot", latency=latency
    ) as server:
        admins = base.admin_ids
        if organizer and TRY_USER_ID not in admins:
            admins = (*admins, TRY_USER_ID)
        settings = base.model_copy(
            update={
                "bot_token": SecretStr(TRY_TOKEN),
                "api_base_url": server.base_url,
                "file_base_url": server.base_file_url,
                "db_path": db_path,
                "admin_ids": admins,
            }
        )
        app = build_application(settings)
        async with running(app, poll_timeout=5):
            if sys.stdin.isatty():
                print(_BANNER + (_ORGANIZER_BANNER if organizer else ""))
            user = server.user(TRY_USER_ID, first_name="Sam", language_code=language_code)
            await run_terminal_chat(server, user, settled=app.update_queue.join)
