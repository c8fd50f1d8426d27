"""Tests of the terminal chat against a tiny bot written with plain telegram.Bot calls."""

from __future__ import annotations

import asyncio
import contextlib
import io

import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from jfa_bot.sandbox import BotApiServer, run_terminal_chat

TOKEN = "123456:TEST-token"


async def tiny_bot(server: BotApiServer) -> None:
    """Answer each text with two buttons; a press edits the message; /file sends a file."""
    bot = telegram.Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url)
    async with bot:
        offset = 0
        while True:
            for update in await bot.get_updates(offset=offset, timeout=10):
                offset = update.update_id + 1
                if update.message and update.message.text == "/file":
                    await bot.send_document(
                        update.message.chat.id, b"12345", filename="guide.pdf", caption="Guide"
                    )
                elif update.message and update.message.text:
                    user = update.message.from_user
                    language = user.language_code if user else None
                    await bot.send_message(
                        update.message.chat.id,
                        f"<b>You said</b> {update.message.text} ({language})",
                        parse_mode="HTML",
                        reply_markup=InlineKeyboardMarkup(
                            [
                                [
                                    InlineKeyboardButton("English", callback_data="lang:en"),
                                    InlineKeyboardButton("Français", callback_data="lang:fr"),
                                ],
                                [InlineKeyboardButton("Site", url="https://example.org")],
                                [InlineKeyboardButton("Share", switch_inline_query="x")],
                            ]
                        ),
                    )
                elif update.callback_query and update.callback_query.message:
                    query = update.callback_query
                    await query.answer(f"Chose {query.data}")
                    await bot.edit_message_text(
                        f"Language: {query.data}",
                        query.message.chat.id,
                        query.message.message_id,
                    )


async def run_chat(lines: str) -> str:
    output = io.StringIO()
    async with BotApiServer(token=TOKEN, latency=(0, 0)) as server:
        user = server.user(1001, first_name="Amina", language_code="en")
        bot_task = asyncio.create_task(tiny_bot(server))
        try:
            await run_terminal_chat(
                server, user, input_stream=io.StringIO(lines), output=output, reply_timeout=5.0
            )
        finally:
            bot_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await bot_task
    return output.getvalue()


async def test_message_buttons_press_and_language() -> None:
    out = await run_chat("hello\n2\n:lang sw\nagain\n:help\n:bogus\n/file\n9\n3\n4\n")
    blocks = out.split("── bot")
    assert "──\nYou said hello (en)\n[1] English  [2] Français\n" in out
    assert "[3] Site → https://example.org" in out
    assert "[4] Share (shares)" in out
    assert "(notice: Chose lang:fr)" in out
    assert "── bot (edited) ──\nLanguage: lang:fr" in out
    assert "(your Telegram language is now sw)" in out
    assert "You said again (sw)" in out
    assert ":lang xx" in out  # help text
    assert "(unknown command :bogus; type :help)" in out
    assert "📎 guide.pdf (5 bytes)\nGuide" in out
    assert "(no button 9 to press)" in out
    assert "(opens https://example.org)" in out
    assert "(shares the bot's inline result in another chat)" in out
    assert "you>" not in out  # not a TTY: no prompt
    assert len(blocks) == 5  # hello, edit, again, file (+ the text before the first header)


async def test_quit_stops_reading() -> None:
    out = await run_chat(":quit\nhello\n")
    assert out == ""
