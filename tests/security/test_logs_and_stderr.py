"""No secret and no one's data in the logs or on stderr, even at DEBUG, even on a crash.

The DEBUG session runs the real bot with the CLI's logging set-up; every record and every
stderr line is scanned for the token, the webhook secret, the typed name and
organisation and the person's @username. The CLI is run as a process with a token
Telegram rejects: its stderr is one line, without the token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from jfa_bot.logs import setup_logging
from jfa_bot.sandbox import BotApiServer
from jfa_bot.settings import Settings
from tests.conftest import TEST_TOKEN, BotRunner, settle
from tests.e2e.test_petition import sign

WEBHOOK_SECRET = "Webhook-Secret-Value_42"
NAME = "Nadia Bensalah-Test"
ORGANISATION = "Atlas Rights Clinic"
USERNAME = "nadia_private_handle"


class _Everything(logging.Handler):
    """Keep every record, formatted as a handler would write it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter("%(name)s %(message)s").format(record))


async def test_a_debug_session_logs_no_secret_and_no_personal_data(
    sandbox: BotApiServer,
    bot_settings: Settings,
    run_bot: BotRunner,
    capfd: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    everything = _Everything()
    try:
        setup_logging("DEBUG", secrets=[bot_settings.token()])
        root.addHandler(everything)
        async with run_bot(webhook_secret=SecretStr(WEBHOOK_SECRET)) as app:
            user = sandbox.user(6001, first_name="Nadia", username=USERNAME)
            await sign(
                user, name=NAME, country_query="Morocco", country="MA", organisation=ORGANISATION
            )
            await user.ask("/mydata", n=2)
            await settle(sandbox, app)
            # setWebhook's parameters hold the secret.
            await app.bot.set_webhook("http://127.0.0.1:9/hook", secret_token=WEBHOOK_SECRET)
            await app.bot.delete_webhook()
        logging.getLogger("jfa_bot.probe").debug("the session is over")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    stderr = capfd.readouterr().err
    assert "the session is over" in stderr and "DEBUG" in stderr  # DEBUG really was on
    for secret in (TEST_TOKEN, WEBHOOK_SECRET, NAME, ORGANISATION, USERNAME):
        assert secret not in stderr, secret
        assert [line for line in everything.lines if secret in line] == [], secret


async def _run_cli(tmp_path: Path, base_url: str, token: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JFA_")}
    env.update(
        JFA_BOT_TOKEN=token,
        JFA_API_BASE_URL=base_url,
        JFA_DB_PATH=str(tmp_path / "cli.sqlite3"),
        JFA_LOG_LEVEL="DEBUG",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jfa_bot",
        "run",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, err.decode()


@pytest.mark.parametrize("wrong", ["token", "base url"])
async def test_a_rejected_token_is_one_line_on_stderr_without_the_token(
    sandbox: BotApiServer, tmp_path: Path, wrong: str
) -> None:
    token = "987654:AAWrongTokenWrongTokenWrong_x" if wrong == "token" else TEST_TOKEN
    base = sandbox.base_url + ("" if wrong == "token" else "/typo")
    status, stderr = await _run_cli(tmp_path, base, token)
    assert status == 2
    assert token not in stderr and token.split(":")[1] not in stderr
    # PTB logs its own (redacted) record; what the interpreter would have printed last,
    # the traceback quoting the token, is replaced by one plain line.
    assert stderr.strip().splitlines()[-1].startswith("error: Telegram rejected the bot token")
    assert "<redacted>" in stderr


async def test_an_unhandled_crash_prints_its_traceback_without_the_secret(
    tmp_path: Path,
) -> None:
    script = (
        "import threading\n"
        "from jfa_bot.logs import install_excepthooks, register_secret\n"
        "install_excepthooks()\n"
        f"register_secret({TEST_TOKEN!r})\n"
        "def fail():\n"
        f"    raise RuntimeError('thread saw ' + {TEST_TOKEN!r})\n"
        "worker = threading.Thread(target=fail)\n"
        "worker.start(); worker.join()\n"
        f"raise RuntimeError('main saw ' + {TEST_TOKEN!r})\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stderr=asyncio.subprocess.PIPE
    )
    _out, err = await process.communicate()
    stderr = err.decode()
    assert process.returncode == 1
    assert "thread saw <redacted>" in stderr and "main saw <redacted>" in stderr
    assert TEST_TOKEN not in stderr


async def test_an_ordinary_persons_telegram_id_is_not_logged_even_as_json_at_debug(
    sandbox: BotApiServer,
    bot_settings: Settings,
    run_bot: BotRunner,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Tapping an old button or typing too fast is ordinary: the person's id stays out.

    A Telegram id names an account; once the person sends /forget, a log line holding it
    would be the last trace of them, kept as long as the logs are.
    """
    person_id = 6_123_457
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        setup_logging("DEBUG", secrets=[bot_settings.token()], log_format="json")
        async with run_bot(flood_rate=5.0) as app:
            person = sandbox.user(person_id, first_name="Rehema", language_code="sw")
            [welcome] = await person.ask("/start")
            await person.press_raw("m:old-menu-entry", message_id=welcome.message_id)
            await person.press_raw("s:wd_yes:1:forged", message_id=welcome.message_id)
            for n in range(40):  # far faster than anyone types
                await person.send(f"hello {n}")
            await settle(sandbox, app)
            await app.bot_data["processor"].shutdown()  # the "slow down" was sent
        logging.getLogger("jfa_bot.probe").debug("the session is over")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    stderr = capfd.readouterr().err
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any(entry["level"] == "DEBUG" for entry in lines), stderr[-3000:]  # DEBUG was on
    assert any("faster than a person" in entry["message"] for entry in lines), [
        e["message"][:120] for e in lines if e["level"] != "DEBUG"
    ]  # seen...
    assert str(person_id) not in stderr  # ...but not who


async def test_a_token_file_others_can_read_is_pointed_out_at_start(
    sandbox: BotApiServer, tmp_path: Path
) -> None:
    # A careless organizer copies .env.example to .env on a shared server: the umask makes
    # it readable by every account there, and the token in it is the whole bot.
    env_file = tmp_path / ".env"
    env_file.write_text("JFA_LOG_FORMAT=text\n", encoding="utf-8")
    env_file.chmod(0o644)
    wrong = "987654:AAWrongTokenWrongTokenWrong_x"
    _status, stderr = await _run_cli(tmp_path, sandbox.base_url, wrong)
    assert "chmod 600 .env" in stderr, stderr
    env_file.chmod(0o600)
    _status, stderr = await _run_cli(tmp_path, sandbox.base_url, wrong)
    assert "chmod" not in stderr, stderr
