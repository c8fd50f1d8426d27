"""Organizers read the figures, export the hand-over files and audit; others are refused."""

from __future__ import annotations

import csv
import io
import json
import logging
import zipfile

import aiohttp
import pytest
from matplotlib import image as mpimg

from jfa_bot.app import PROFILE_KEY, JfaApplication
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer, MessageKind, SimulatedUser
from jfa_bot.webhook import SECRET_HEADER
from tests.conftest import ADMIN_ID, WebhookBotRunner, press, store_of
from tests.e2e.test_petition import sign

EN = Translator.for_locale("en")


def uploaded(sandbox: BotApiServer, message_file_id: str | None) -> bytes:
    return next(f for f in sandbox.uploads if f.file_id == message_file_id).data


async def signers(sandbox: BotApiServer) -> None:
    await sign(
        sandbox.user(2001, language_code="en"),
        name="Amina Yusuf",
        country_query="Kenya",
        country="KE",
        organisation="Kituo",
    )
    await sign(
        sandbox.user(2002, language_code="en"),
        name="Secret Person",
        country_query="Kenya",
        country="KE",
        withheld=True,
        organisation="Hidden Org",
    )
    await sign(
        sandbox.user(2003, language_code="ar"),
        name="علي",
        country_query="مصر",
        country="EG",
        t=Translator.for_locale("ar"),
    )


async def export(admin: SimulatedUser, sandbox: BotApiServer, label: str) -> bytes:
    await admin.send("/export")
    # Wait for the menu itself: edits of an earlier export may still be arriving.
    await sandbox.wait_until(
        lambda: bool(admin.messages) and admin.last.find_button(label=label) is not None, 10
    )
    before = len(admin.messages)
    await admin.press(admin.last.find_button(label=label).callback_data)  # type: ignore[union-attr]
    await sandbox.wait_until(
        lambda: any(m.kind is MessageKind.DOCUMENT for m in admin.messages[before:]), 10
    )
    await admin.quiet(0.3)
    document = next(m for m in admin.messages[before:] if m.kind is MessageKind.DOCUMENT)
    return uploaded(sandbox, document.file_id)


async def test_a_non_admin_is_refused_every_organizer_command_and_button(
    sandbox: BotApiServer, bot: JfaApplication, caplog: pytest.LogCaptureFixture
) -> None:
    intruder = sandbox.user(31338, language_code="fr")
    fr = Translator.for_locale("fr")
    unknown = fr.gettext(
        "Sorry, I did not understand that. Please choose from the menu below, or send /help."
    )
    [welcome] = await intruder.ask("/start")
    for command in ("/broadcast", "/broadcasts", "/stats", "/export", "/audit", "/reload"):
        [answer] = await intruder.ask(command)
        assert answer.plain == unknown, command
    with caplog.at_level(logging.WARNING):
        for data in ("x:signatures", "x:handover", "x:counts", "a:wk:9", "a:retry:1"):
            answer = await intruder.press_raw(data, message_id=welcome.message_id)
            assert answer.text == fr.gettext("This button has expired. Please use /start.")
    assert any("non-admin 31338" in r.getMessage() for r in caplog.records)
    assert not any(m.kind is MessageKind.DOCUMENT for m in intruder.messages)
    assert await store_of(bot).audit.latest() == []


async def test_organizer_menus_appear_only_in_organizers_chats(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    await bot.bot_data[PROFILE_KEY]  # published while the bot already answers
    scope = {"type": "chat", "chat_id": ADMIN_ID}
    for locale in ("en", "sw"):
        names = [c["command"] for c in sandbox.commands(scope=scope, language_code=locale)]
        assert {"broadcast", "stats", "export", "audit"} <= set(names)
        public = [c["command"] for c in sandbox.commands(language_code=locale)]
        assert "broadcast" not in public and "stats" not in public


async def test_stats_show_figures_and_a_chart_with_plotted_data(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    await signers(sandbox)
    admin = sandbox.user(ADMIN_ID, language_code="en")
    text, photo = await admin.ask("/stats", n=2)
    assert "3 signatures" in text.plain
    assert "Kenya: 2" in text.plain and "Egypt: 1" in text.plain
    assert "1 signer withheld their name" in text.plain
    assert "Generation 0: 3" in text.plain
    assert photo.kind is MessageKind.PHOTO
    png = uploaded(sandbox, photo.file_id)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pixels = mpimg.imread(io.BytesIO(png), format="png")
    bar_blue = (pixels[..., 0] < 0.25) & (pixels[..., 2] > 0.5) & (pixels[..., 1] > 0.35)
    assert bar_blue.sum() > 100, "no bars were drawn"


async def test_exports_match_the_database_and_never_hold_withheld_names(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    await signers(sandbox)
    admin = sandbox.user(ADMIN_ID, language_code="en")
    data = await export(admin, sandbox, "📄 Signatures (CSV)")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["number"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["name"] == "Amina Yusuf" and rows[0]["organisation"] == "Kituo"
    assert rows[1]["name"] == "" and rows[1]["organisation"] == ""
    assert rows[1]["country"] == "KE" and rows[1]["visibility"] == "withheld"
    assert rows[2]["name"] == "علي"
    assert b"Secret Person" not in data and b"Hidden Org" not in data

    pack = zipfile.ZipFile(
        io.BytesIO(await export(admin, sandbox, "🗂 Hand-over pack by country (ZIP)"))
    )
    assert sorted(pack.namelist()) == ["EG.csv", "KE.csv", "README.txt", "summary.csv"]
    kenya = list(csv.DictReader(io.StringIO(pack.read("KE.csv").decode("utf-8-sig"))))
    assert [r["name"] for r in kenya] == ["Amina Yusuf"]
    summary = {
        r["country"]: r
        for r in csv.DictReader(io.StringIO(pack.read("summary.csv").decode("utf-8-sig")))
    }
    assert summary["KE"]["signatures"] == "2" and summary["KE"]["names_withheld"] == "1"
    assert all(b"Secret Person" not in pack.read(name) for name in pack.namelist())

    feed = json.loads(await export(admin, sandbox, "🔢 Public count (JSON)"))
    # Published as it is: no country under JFA_PUBLIC_COUNTRY_MIN (5) signers is named.
    assert feed["total"] == 3 and feed["countries"] == {} and feed["other_countries"] == 3
    actions = [(e.action, e.actor) for e in await store_of(bot).audit.latest()]
    assert [a for a, _ in actions].count("export") == 3
    assert all(actor == ADMIN_ID for _, actor in actions)
    [audit] = await admin.ask("/audit")
    assert audit.plain.count("export") == 3


async def test_an_export_with_no_signatures_has_only_the_header(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    admin = sandbox.user(ADMIN_ID, language_code="en")
    data = await export(admin, sandbox, "📄 Signatures (CSV)")
    assert data.decode("utf-8-sig").strip().splitlines() == [
        "number,signed_at,name,organisation,country,country_name,visibility,locale,source"
    ]


async def test_retention_removes_names_but_keeps_countries_and_counts(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    await signers(sandbox)
    store = store_of(bot)
    assert await store.signatures.anonymise_before("2999-01-01T00:00:00Z") == 3
    signature = await store.signatures.get(2001)
    assert signature is not None and signature.name is None and signature.organisation is None
    assert signature.country == "KE"
    assert (await store.signatures.counts("")).total == 3
    admin = sandbox.user(ADMIN_ID, language_code="en")
    data = await export(admin, sandbox, "📄 Signatures (CSV)")
    assert b"Amina" not in data and b"Kituo" not in data


async def test_webhook_mode_takes_updates_only_with_the_secret(
    sandbox: BotApiServer, run_webhook_bot: WebhookBotRunner
) -> None:
    async with run_webhook_bot() as (app, server):
        url = f"http://127.0.0.1:{server.port}/telegram"
        user = sandbox.user(3001, language_code="sw")
        [welcome] = await user.ask("/start")
        assert welcome.plain.startswith("Justice For All")
        update = {
            "update_id": 999_999,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 3002, "type": "private"},
                "from": {"id": 3002, "is_bot": False, "first_name": "X"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {SECRET_HEADER: "wrong"}):
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
            async with http.get(f"http://127.0.0.1:{server.port}/healthz") as response:
                health = await response.json()
                assert response.status == 200 and health["database"] == "ok"
                assert health["last_update"] is not None
        assert server.refused == 2
        assert await store_of(app).users.get(3002) is None  # nothing was processed
        assert sandbox.messages_in(3002) == []


async def test_non_admin_flow_sanity(sandbox: BotApiServer, bot: JfaApplication) -> None:
    admin = sandbox.user(ADMIN_ID, language_code="en")
    await admin.ask("/broadcast")
    [draft] = await press(admin, "✏️ Write a custom message")
    assert "Send the message" in draft.plain


async def test_organizer_reloads_changed_content_and_a_broken_change_is_refused(
    sandbox: BotApiServer,
    run_bot,
    tmp_path,
) -> None:
    import shutil

    from jfa_bot.content import SAMPLE_DIR

    folder = tmp_path / "content"
    shutil.copytree(SAMPLE_DIR, folder)
    petition = folder / "en" / "petition.toml"
    admin = sandbox.user(ADMIN_ID, language_code="en")
    async with run_bot(content_dir=folder) as app:
        petition.write_text(
            petition.read_text().replace(
                'title = "Fund and protect grassroots justice defenders"',
                'title = "Fund and protect justice defenders now"',
            )
        )
        [done] = await admin.ask("/reload")
        assert done.plain == "The content was reloaded."
        [intro] = await admin.ask("/sign")
        assert intro.plain.startswith("Fund and protect justice defenders now")
        petition.write_text(petition.read_text().replace("<b>funding", "<b>funding<i>"))
        [refused] = await admin.ask("/reload")
        assert refused.plain.startswith("The content has 1 problem; the bot keeps using")
        assert "petition.toml" in refused.plain
        [still] = await admin.ask("/sign")
        assert still.plain.startswith("Fund and protect justice defenders now")
        actions = [(e.action, e.detail) for e in await store_of(app).audit.latest()]
        assert [a for a, _ in actions[:2]] == ["content_reload", "content_reload"]
        assert actions[0][1] == "refused"
