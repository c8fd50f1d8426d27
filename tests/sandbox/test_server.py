"""End-to-end tests of the Bot API stand-in driven by a real telegram.Bot."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
import telegram
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter

from jfa_bot.sandbox import BotApiServer, MessageKind

TOKEN = "123456:TEST-token"


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    async with BotApiServer(token=TOKEN, bot_username="jfa_test_bot", latency=(0, 0)) as srv:
        yield srv


@pytest.fixture
async def bot(server: BotApiServer) -> AsyncIterator[telegram.Bot]:
    bot = telegram.Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url)
    async with bot:
        yield bot


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in pairs]])


async def test_get_me(server: BotApiServer, bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "jfa_test_bot"
    assert me.supports_inline_queries is True
    assert server.calls[0].method == "getMe"


async def test_wrong_token_is_unauthorized(server: BotApiServer) -> None:
    other = telegram.Bot("123456:WRONG", base_url=server.base_url)
    with pytest.raises(telegram.error.InvalidToken):
        async with other:  # initialize() calls getMe; __aenter__ shuts down on failure
            pass


async def test_unknown_method_is_404(server: BotApiServer) -> None:
    url = f"{server.base_url}{TOKEN}/noSuchMethod"
    async with aiohttp.ClientSession() as session, session.post(url) as response:
        body = await response.json()
    assert response.status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_send_message_shows_in_user_messages(
    server: BotApiServer, bot: telegram.Bot
) -> None:
    user = server.user(1001, first_name="Amina")
    sent = await bot.send_message(
        1001,
        "<b>Hello</b> &amp; welcome",
        parse_mode="HTML",
        reply_markup=keyboard(("English", "lang:en"), ("Français", "lang:fr")),
    )
    assert sent.message_id == 1
    assert sent.text == "Hello & welcome"
    assert sent.entities[0].type == "bold"
    assert sent.text_html == "<b>Hello</b> &amp; welcome"
    [message] = user.messages
    assert message.kind is MessageKind.TEXT
    assert message.text == "<b>Hello</b> &amp; welcome"
    assert message.plain == "Hello & welcome"
    assert message.button_labels() == ["English", "Français"]
    found = message.find_button(data="lang:fr")
    assert found is not None
    assert found.text == "Français"
    assert user.last == message
    assert server.sent == [message]
    assert server.messages_in(1001) == [message]


async def test_json_and_get_bodies_are_accepted(server: BotApiServer) -> None:
    user = server.user(7)
    async with aiohttp.ClientSession() as session:
        url = f"{server.base_url}{TOKEN}/sendMessage"
        async with session.post(url, json={"chat_id": 7, "text": "from json"}) as response:
            assert (await response.json())["result"]["text"] == "from json"
        async with session.get(url, params={"chat_id": "7", "text": "123"}) as response:
            body = await response.json()
    assert body["result"]["text"] == "123"
    assert [m.plain for m in user.messages] == ["from json", "123"]


async def test_get_updates_returns_injected_command(
    server: BotApiServer, bot: telegram.Bot
) -> None:
    user = server.user(1001, first_name="Amina", language_code="fr")
    update_id = await user.send("/start s_radio")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [update_id]
    message = updates[0].message
    assert message is not None
    assert message.text == "/start s_radio"
    assert message.entities[0].type == "bot_command"
    assert message.entities[0].length == len("/start")
    assert message.from_user is not None
    assert message.from_user.language_code == "fr"
    assert message.chat.type == "private"
    # the offset confirms the update; it is not delivered again
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == ()
    user.language_code = "sw"
    await user.send("/help@jfa_test_bot")
    [later] = await bot.get_updates(offset=update_id + 1, timeout=0)
    assert later.message is not None
    assert later.message.from_user is not None
    assert later.message.from_user.language_code == "sw"
    assert later.message.entities[0].length == len("/help@jfa_test_bot")


async def test_long_polling_returns_when_an_update_arrives(
    server: BotApiServer, bot: telegram.Bot
) -> None:
    user = server.user(5)
    poll = asyncio.create_task(bot.get_updates(timeout=30, read_timeout=40))
    await asyncio.sleep(0.1)
    assert not poll.done()
    await user.send("hello")
    updates = await asyncio.wait_for(poll, 10)
    assert [u.message.text for u in updates if u.message] == ["hello"]


async def test_allowed_updates_filters(server: BotApiServer, bot: telegram.Bot) -> None:
    user = server.user(5)
    await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    await user.send("ignored")
    assert await bot.get_updates(timeout=0) == ()


async def test_produced_json_round_trips_through_ptb(
    server: BotApiServer, bot: telegram.Bot
) -> None:
    user = server.user(9, username="amina")
    group = server.group(-100123, title="Defenders")
    await bot.send_message(9, "pick", reply_markup=keyboard(("A", "a")))
    await user.send("hi all", chat=group)
    await user.send_photo()
    await user.send_document("notes.txt", b"abc")
    await user.send_sticker()
    await user.send_voice()
    await user.edit_last("/edited")
    press = asyncio.create_task(user.press("a"))
    updates = await bot.get_updates(timeout=5)
    raw = [json.loads(json.dumps(u.to_dict())) for u in updates]
    assert len(raw) == 7
    parsed = [Update.de_json(data, bot) for data in raw]
    assert parsed[0].message is not None
    assert parsed[0].message.chat.type == "supergroup"
    assert parsed[0].message.chat.title == "Defenders"
    assert parsed[1].message is not None and parsed[1].message.photo
    assert parsed[2].message is not None and parsed[2].message.document is not None
    assert parsed[2].message.document.file_name == "notes.txt"
    assert parsed[3].message is not None and parsed[3].message.sticker is not None
    assert parsed[4].message is not None and parsed[4].message.voice is not None
    assert parsed[5].edited_message is not None
    assert parsed[5].edited_message.text == "/edited"
    query = parsed[6].callback_query
    assert query is not None
    assert query.data == "a"
    assert query.message is not None
    assert isinstance(query.message, Message)
    assert query.message.reply_markup is not None
    await query.answer("ok")
    answer = await press
    assert answer.text == "ok"


async def test_bad_html_is_refused(server: BotApiServer, bot: telegram.Bot) -> None:
    server.user(1)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: Unsupported start tag"):
        await bot.send_message(1, "<foo>x</foo>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)Can't find end tag"):
        await bot.send_message(1, "<b>x", parse_mode="HTML")
    assert server.sent == []


async def test_text_limits(server: BotApiServer, bot: telegram.Bot) -> None:
    server.user(1)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(1, "x" * 4097)
    # the limit applies to the visible text, not the markup
    await bot.send_message(1, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(1, "<b></b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_document(1, b"data", filename="a.txt", caption="c" * 1025)


async def test_unknown_chat(server: BotApiServer, bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(424242, "hello")


async def test_error_bodies_use_telegram_wording(server: BotApiServer) -> None:
    server.user(1)
    url = f"{server.base_url}{TOKEN}/sendMessage"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data={"chat_id": "1", "text": "<b>x"}) as response:
            plain = await response.json()
        async with session.post(
            url, data={"chat_id": "1", "text": "<b>x", "parse_mode": "HTML"}
        ) as response:
            html = await response.json()
    assert plain["ok"] is True
    assert plain["result"]["text"] == "<b>x"
    assert response.status == 400
    assert html == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: can't parse entities: "
        'Can\'t find end tag corresponding to start tag "b" at byte offset 0',
    }


async def test_callback_data_over_64_bytes(server: BotApiServer, bot: telegram.Bot) -> None:
    server.user(1)
    await bot.send_message(1, "ok", reply_markup=keyboard(("A", "x" * 64)))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(1, "no", reply_markup=keyboard(("A", "x" * 65)))
    bad_url = InlineKeyboardMarkup([[InlineKeyboardButton("U", url="ftp://example.org")]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_URL_INVALID"):
        await bot.send_message(1, "no", reply_markup=bad_url)


async def test_edit_not_modified_and_edit_applied(server: BotApiServer, bot: telegram.Bot) -> None:
    user = server.user(1)
    sent = await bot.send_message(
        1, "<b>one</b>", parse_mode="HTML", reply_markup=keyboard(("A", "a"))
    )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<strong>one</strong>",
            1,
            sent.message_id,
            parse_mode="HTML",
            reply_markup=keyboard(("A", "a")),
        )
    edited = await bot.edit_message_text("two", 1, sent.message_id)
    assert isinstance(edited, Message)
    assert edited.edit_date is not None
    assert user.last.plain == "two"
    assert user.last.edited
    assert user.last.buttons == ()  # no reply_markup removes the keyboard, like Telegram
    await bot.edit_message_reply_markup(1, sent.message_id, reply_markup=keyboard(("B", "b")))
    assert user.last.button_labels() == ["B"]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", 1, 999)
    assert await bot.delete_message(1, sent.message_id)
    assert user.messages == []


async def test_flood_limit_gives_retry_after(
    server: BotApiServer, bot: telegram.Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    server.user(1)
    server.user(2)
    server.faults.flood_limit = 2
    server.faults.retry_after = 3
    await bot.send_message(1, "a")
    await bot.send_message(2, "b")
    with pytest.raises(RetryAfter, match=r"(?i)retry in") as caught:
        await bot.send_message(1, "c")
    assert caught.value.retry_after == timedelta(seconds=3)
    assert server.stats.rate_limited == 1
    assert server.stats.sends == 2
    assert server.stats.max_sends_per_second() == 2


async def test_per_chat_limit(
    server: BotApiServer, bot: telegram.Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    server.user(1)
    server.user(2)
    server.faults.per_chat_limit = True
    await bot.send_message(1, "a")
    await bot.send_message(2, "b")
    with pytest.raises(RetryAfter):
        await bot.send_message(1, "c")


async def test_paid_limit_counts_every_send_and_spares_paid_ones_the_free_limit(
    server: BotApiServer, bot: telegram.Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    for chat in range(1, 6):
        server.user(chat)
    server.faults.flood_limit = 1
    server.faults.paid_limit = 3
    await bot.send_message(1, "free")
    await bot.send_message(2, "paid", allow_paid_broadcast=True)  # past the free limit
    await bot.send_message(3, "paid", allow_paid_broadcast=True)
    with pytest.raises(RetryAfter):
        await bot.send_message(4, "paid", allow_paid_broadcast=True)  # the 4th of 3
    with pytest.raises(RetryAfter):
        await bot.send_message(5, "free")
    assert server.stats.sends == 3


async def test_the_stand_in_answers_like_real_telegram_unless_told_otherwise() -> None:
    async with BotApiServer(token=TOKEN) as real_like:
        faults = real_like.faults
        assert (faults.latency, faults.jitter) == (0.08, 0.04)
        user = real_like.user(1)
        bot = telegram.Bot(TOKEN, base_url=real_like.base_url)
        async with bot:
            await bot.send_message(1, "hello")
        assert user.last.text == "hello"


async def test_blocked_user_is_forbidden(server: BotApiServer, bot: telegram.Bot) -> None:
    server.user(1)
    server.faults.blocked.add(1)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(1, "hello")
    assert server.stats.forbidden == 1


async def test_fail_next_5xx(server: BotApiServer, bot: telegram.Bot) -> None:
    user = server.user(1)
    server.faults.fail_next_5xx = 1
    with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
        await bot.send_message(1, "hello")
    await bot.send_message(1, "again")
    assert [m.plain for m in user.messages] == ["again"]
    assert server.stats.server_errors == 1


async def test_timeout_next_hangs_past_client_timeout(
    server: BotApiServer, bot: telegram.Bot
) -> None:
    server.user(1)
    server.faults.timeout_next = 1
    server.faults.hang_seconds = 2.0
    with pytest.raises(telegram.error.TimedOut):
        await bot.send_message(1, "slow", read_timeout=0.2)
    assert server.stats.timeouts == 1


async def test_document_upload_resend_and_download(
    server: BotApiServer, bot: telegram.Bot
) -> None:
    user = server.user(1)
    payload = b"%PDF-1.4 fake petition\x00\x01"
    first = await bot.send_document(
        1, payload, filename="petition.pdf", caption="<i>sign</i>", parse_mode="HTML"
    )
    assert first.document is not None
    assert first.caption == "sign"
    again = await bot.send_document(1, first.document.file_id)
    assert again.document is not None
    assert again.document.file_id == first.document.file_id
    assert len(server.uploads) == 1
    assert server.uploads[0].data == payload
    photo = await bot.send_photo(1, b"\x89PNG fake", filename="p.png")
    assert photo.photo
    assert len(server.uploads) == 2
    assert photo.photo[-1].file_id != first.document.file_id
    assert [m.kind for m in user.messages] == [
        MessageKind.DOCUMENT,
        MessageKind.DOCUMENT,
        MessageKind.PHOTO,
    ]
    assert user.messages[0].document_name == "petition.pdf"
    assert user.messages[0].plain == "sign"
    file = await bot.get_file(first.document.file_id)
    assert bytes(await file.download_as_bytearray()) == payload
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(1, "BQACnope")
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(1, b"%PDF-1.4 not a picture", filename="p.jpg")
    caption = "x" * 1025
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_photo(1, photo.photo[-1].file_id, caption=caption)


async def test_commands_and_descriptions(server: BotApiServer, bot: telegram.Bot) -> None:
    await bot.set_my_commands([("start", "Start"), ("help", "Help")])
    await bot.set_my_commands([("start", "Démarrer")], language_code="fr")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    fr = await bot.get_my_commands(language_code="fr")
    assert [(c.command, c.description) for c in fr] == [("start", "Démarrer")]
    assert server.commands(language_code="fr") == [{"command": "start", "description": "Démarrer"}]
    await bot.delete_my_commands(language_code="fr")
    assert server.commands(language_code="fr") == []
    await bot.set_my_description("A bot", language_code="sw")
    await bot.set_my_short_description("Short")
    assert (await bot.get_my_description(language_code="sw")).description == "A bot"
    assert server.description("sw") == "A bot"
    assert server.short_description() == "Short"
    assert await bot.send_chat_action(server.user(3).id, "typing")


async def test_answer_callback_completes_press(server: BotApiServer, bot: telegram.Bot) -> None:
    user = server.user(1)
    await bot.send_message(1, "choose", reply_markup=keyboard(("English", "lang:en")))

    async def answer_one() -> None:
        [update] = await bot.get_updates(timeout=5)
        assert update.callback_query is not None
        assert update.callback_query.data == "lang:en"
        await update.callback_query.answer("Saved", show_alert=True)
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await update.callback_query.answer("twice")

    task = asyncio.create_task(answer_one())
    answer = await user.press(label="English")
    await task
    assert answer.text == "Saved"
    assert answer.show_alert is True
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("999")


async def test_press_raises_when_never_answered(server: BotApiServer) -> None:
    user = server.user(1)
    server.store.send_message(
        {"chat_id": 1, "text": "x", "reply_markup": keyboard(("A", "a")).to_json()}
    )
    with pytest.raises(LookupError, match="no callback button"):
        await user.press("nothing")
    with pytest.raises(TimeoutError, match="did not answer"):
        await user.press("a", timeout=0.1)


async def test_inline_query_round_trip(server: BotApiServer, bot: telegram.Bot) -> None:
    user = server.user(1)

    async def answer_one() -> None:
        [update] = await bot.get_updates(timeout=5)
        query = update.inline_query
        assert query is not None
        assert query.query == "petition"
        await query.answer(
            [
                telegram.InlineQueryResultArticle(
                    "r1", "Sign", telegram.InputTextMessageContent("Please sign")
                )
            ]
        )

    task = asyncio.create_task(answer_one())
    results = await user.inline_query("petition")
    await task
    assert [r["id"] for r in results] == ["r1"]
    assert results[0]["input_message_content"]["message_text"] == "Please sign"


async def test_webhook_delivery_and_conflict(server: BotApiServer, bot: telegram.Bot) -> None:
    received: asyncio.Queue[tuple[dict[str, object], str | None]] = asyncio.Queue()

    async def receive(request: web.Request) -> web.Response:
        received.put_nowait(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        user = server.user(1)
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t")
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook")
        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await bot.get_updates(timeout=0)
        update_id = await user.send("/start")
        body, secret = await asyncio.wait_for(received.get(), 10)
        assert secret == "s3cr3t"
        assert body["update_id"] == update_id
        parsed = Update.de_json(body, bot)
        assert parsed.message is not None and parsed.message.text == "/start"
        assert await bot.delete_webhook()
        await user.send("polled")
        [polled] = await bot.get_updates(timeout=0)
        assert polled.message is not None and polled.message.text == "polled"
    finally:
        await runner.cleanup()


async def test_user_wait_and_quiet(server: BotApiServer, bot: telegram.Bot) -> None:
    user = server.user(1)

    async def reply() -> None:
        [update] = await bot.get_updates(timeout=5)
        assert update.message is not None
        first = await bot.send_message(1, "one", reply_markup=keyboard(("Go", "go")))
        await bot.send_message(1, "two")
        await bot.edit_message_text("one!", 1, first.message_id)

    task = asyncio.create_task(reply())
    messages = await user.ask("/start", n=3)
    await task
    assert [(m.plain, m.edited) for m in messages] == [
        ("one", False),
        ("two", False),
        ("one!", True),
    ]
    await user.quiet(0.05)
    with pytest.raises(TimeoutError, match=r"(?i)nothing arrived"):
        await user.wait(1, timeout=0.1)
    assert [m.plain for m in user.messages] == ["one!", "two"]
    server.reset_stats()
    assert server.calls == []
    assert server.stats.sends == 0
