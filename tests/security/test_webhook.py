"""Webhook noise: unauthenticated or malformed calls get a 4xx and one short log line.

An attacker who finds the webhook URL can send anything: a JSON list, bytes that are not
UTF-8 in the secret header, broken JSON. None of it may reach a handler, answer 500, or
write a traceback (a traceback per request lets anyone fill the disk). Telegram resends
an update it believes lost, and a captured one can be replayed: the same update_id is
processed once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pydantic import SecretStr

from jfa_bot.app import OPS_SERVER_KEY
from jfa_bot.ops import OpsServer
from jfa_bot.sandbox import BotApiServer
from jfa_bot.webhook import SECRET_HEADER, WebhookServer
from tests.conftest import WebhookBotRunner

SECRET = "s3cret-token-for-tests-0123456789"


@pytest.fixture
async def webhook(run_webhook_bot: WebhookBotRunner) -> AsyncIterator[WebhookServer]:
    """Run the bot in webhook mode on a free loopback port."""
    async with run_webhook_bot(deliver=False, webhook_secret=SecretStr(SECRET)) as (_, server):
        yield server


def start_update(update_id: int, user_id: int) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "X", "language_code": "en"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def raw_post(port: int, path: str, header_value: bytes, body: bytes) -> int:
    """POST with a secret header of arbitrary bytes (no client library allows that)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST "
        + path.encode()
        + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + SECRET_HEADER.encode()
        + b": "
        + header_value
        + b"\r\n"
        + b"Content-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    return int(status_line.split()[1])


async def test_garbage_sent_to_the_webhook_gets_a_4xx_without_a_traceback(
    webhook: WebhookServer, sandbox: BotApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"http://127.0.0.1:{webhook.port}{webhook.path}"
    good = {SECRET_HEADER: SECRET}
    async with aiohttp.ClientSession() as http:
        cases: list[tuple[dict[str, str], bytes]] = [
            (good, b"[1, 2, 3]"),  # a JSON list, not an update
            (good, b'{"update_id": '),  # malformed JSON
            (good, b"\xff\xfe not utf-8"),
            (good, b'{"update_id": "7"}'),  # not an integer id
            (good, b'{"update_id": 8, "message": "not an object"}'),
            (good, b'{"update_id": 9, "message": {"chat": 5}}'),
            (good, b"null"),
        ]
        for headers, body in cases:
            async with http.post(url, data=body, headers=headers) as response:
                assert 400 <= response.status < 500, (body, response.status)
    # Bytes that are not UTF-8 in the secret header: refused, not a server error.
    for value in (b"\xff\xfe\xfd", SECRET.encode() + b"\xc3", b"\xc3\x28"):
        assert await raw_post(webhook.port, webhook.path, value, b"{}") == 403
    assert webhook.refused == 3
    assert webhook.malformed == 7
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    assert not any(
        r.exc_info or r.exc_text
        for r in caplog.records
        if r.name.startswith(("jfa_bot.webhook", "aiohttp"))
    )
    assert "Traceback" not in caplog.text
    assert sandbox.messages_in(8) == [] and sandbox.messages_in(9) == []


async def test_a_replayed_update_is_processed_once(
    webhook: WebhookServer, sandbox: BotApiServer
) -> None:
    user = sandbox.user(5101, language_code="en")
    url = f"http://127.0.0.1:{webhook.port}{webhook.path}"
    async with aiohttp.ClientSession() as http:
        for _ in range(3):  # Telegram's resend, then an attacker's replay
            async with http.post(
                url, json=start_update(424_242, user.id), headers={SECRET_HEADER: SECRET}
            ) as response:
                assert response.status == 200
        # A new update_id from the same person is, of course, handled.
        async with http.post(
            url, json=start_update(424_243, user.id), headers={SECRET_HEADER: SECRET}
        ) as response:
            assert response.status == 200
    await user.wait(2)
    await user.quiet(0.5)
    welcomes = [m for m in sandbox.messages_in(user.id) if m.plain.startswith("Justice For All")]
    assert len(welcomes) == 2
    assert webhook.replayed == 2


async def post_update(server: WebhookServer, body: dict[str, object]) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"http://127.0.0.1:{server.port}{server.path}",
            json=body,
            headers={SECRET_HEADER: SECRET},
        ) as response,
    ):
        return response.status


async def test_an_update_replayed_after_many_newer_ones_is_still_refused(
    webhook: WebhookServer, sandbox: BotApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A captured update (say, from a proxy's log) replayed once the memory of recent ids
    # has moved on must not sign, erase or answer again. A small memory makes it quick.
    monkeypatch.setattr("jfa_bot.webhook.RECENT_UPDATES", 4)
    victim = sandbox.user(5201, language_code="en")
    assert await post_update(webhook, start_update(600_000, victim.id)) == 200
    await victim.wait(1)
    for n in range(1, 7):  # newer updates from other people push it out of memory
        other = sandbox.user(5210 + n, language_code="en")
        assert await post_update(webhook, start_update(600_000 + n, other.id)) == 200
        await other.wait(1)
    assert await post_update(webhook, start_update(600_000, victim.id)) == 200
    await victim.quiet(0.5)
    welcomes = [m for m in sandbox.messages_in(victim.id) if m.plain.startswith("Justice For All")]
    assert len(welcomes) == 1
    assert webhook.replayed == 1


async def test_after_a_silent_week_a_lower_update_id_is_accepted(
    webhook: WebhookServer, sandbox: BotApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Telegram picks the next update_id at random after a week without updates: the
    # floor that refuses old ids must not refuse the first real update after the silence.
    monkeypatch.setattr("jfa_bot.webhook.RECENT_UPDATES", 2)
    person = sandbox.user(5301, language_code="en")
    for n in range(5):
        assert await post_update(webhook, start_update(700_000 + n, person.id)) == 200
        await person.wait(1)
    now = webhook.clock()
    webhook.clock = lambda: now + 8 * 24 * 3600.0
    assert await post_update(webhook, start_update(12_345, person.id)) == 200
    await person.wait(1)
    welcomes = [m for m in sandbox.messages_in(person.id) if m.plain.startswith("Justice For All")]
    assert len(welcomes) == 6
    assert webhook.replayed == 0


async def half_a_request(port: int, data: bytes) -> bool:
    """Send part of a request and never the rest; True once the server hangs up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(20):  # a guard against hanging forever, not a timing
            while await reader.read(1024):
                pass
        return True
    except TimeoutError:
        return False
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_connections_that_never_finish_a_request_are_closed(
    run_webhook_bot: WebhookBotRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slowloris: thousands of half-sent requests held open for the hour aiohttp allows would
    # use up the process's file descriptors, and with them its connections to Telegram.
    monkeypatch.setattr("jfa_bot.ops.IDLE_TIMEOUT", 0.5)
    monkeypatch.setattr("jfa_bot.ops.BODY_TIMEOUT", 0.5)
    async with run_webhook_bot(deliver=False, webhook_secret=SecretStr(SECRET), http_port=0) as (
        app,
        server,
    ):
        ops: OpsServer = app.bot_data[OPS_SERVER_KEY]
        for port in (server.port, ops.port):
            assert await half_a_request(port, b"")  # connects, says nothing
            assert await half_a_request(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        # Even with the right secret, a body that never ends is not waited for forever.
        never_ending = (
            f"POST {server.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{SECRET_HEADER}: {SECRET}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            '{"update_id": 1'
        ).encode()
        assert await half_a_request(server.port, never_ending)
        # The servers still answer whole requests.
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{ops.port}/healthz") as response,
        ):
            assert response.status == 200


async def test_a_flood_of_refused_calls_writes_a_bounded_number_of_log_lines(
    webhook: WebhookServer, caplog: pytest.LogCaptureFixture
) -> None:
    # One line per refused call lets anyone who finds the URL write the disk full at the
    # rate they can send requests; the refusals are counted and summed up instead.
    caplog.set_level(logging.DEBUG)
    url = f"http://127.0.0.1:{webhook.port}{webhook.path}"
    async with aiohttp.ClientSession() as http:
        for n in range(300):
            headers = {SECRET_HEADER: f"wrong-{n}"} if n % 2 else {}
            async with http.post(url, data=b"{}", headers=headers) as response:
                assert response.status == 403
    too_long = b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n"
    for garbage in (b"\x16\x03\x01 not http\r\n\r\n", too_long, too_long, too_long):
        reader, writer = await asyncio.open_connection("127.0.0.1", webhook.port)
        writer.write(garbage)
        await writer.drain()
        await reader.read()
        writer.close()
    assert webhook.refused == 300
    lines = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(lines) <= 5, [r.getMessage() for r in lines]
    assert all(r.levelno < logging.ERROR and not r.exc_info for r in lines), lines
    assert "aaaaaaaa" not in caplog.text  # the caller's bytes are not copied to the log
