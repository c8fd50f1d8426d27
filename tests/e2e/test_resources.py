"""Defenders get the Action Pack, browse the brief and get the webinar recording."""

from __future__ import annotations

import shutil
from pathlib import Path

from jfa_bot.app import JfaApplication
from jfa_bot.content import SAMPLE_DIR
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer, MessageKind
from jfa_bot.store import RequestKind
from tests.conftest import data_of, press, store_of
from tests.e2e.conftest import BotRunner
from tests.e2e.test_petition import sign

EN = Translator.for_locale("en")
SW = Translator.for_locale("sw")


def pack_uploads(sandbox: BotApiServer) -> int:
    return sum(1 for f in sandbox.uploads if f.filename == "action-pack.pdf")


async def test_defender_gets_the_action_pack_in_swahili_as_a_document(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    neema = sandbox.user(1001, first_name="Neema", language_code="sw")
    document, offer = await neema.ask("/actionpack", n=2)
    assert document.kind is MessageKind.DOCUMENT
    assert document.document_name == "action-pack.pdf"
    caption = bot.bot_data["content"].resources("sw").action_pack.caption
    assert document.text.startswith(caption)
    assert "https://justiceforall.example.org/action-pack" in document.text
    [uploaded] = sandbox.uploads
    assert uploaded.data == (SAMPLE_DIR / "sw" / "action-pack.pdf").read_bytes()
    assert uploaded.data.startswith(b"%PDF-")
    assert offer.find_button(label=SW.gettext("📝 Tell us")) is not None


async def test_a_second_request_reuses_the_stored_file_id(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(1002, language_code="en")
    await user.ask("/actionpack", n=2)
    [again] = await user.ask("/actionpack")  # the form is already on offer: no second offer
    assert again.kind is MessageKind.DOCUMENT
    assert pack_uploads(sandbox) == 1
    assert again.file_id == user.messages[0].file_id


async def test_changing_the_file_triggers_exactly_one_new_upload(
    sandbox: BotApiServer, run_bot: BotRunner, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    shutil.copytree(SAMPLE_DIR, content)
    user = sandbox.user(1003, language_code="en")
    async with run_bot(content_dir=content):
        await user.ask("/actionpack", n=2)
        await user.ask("/actionpack")
        assert pack_uploads(sandbox) == 1
        (content / "en" / "action-pack.pdf").write_bytes(b"%PDF-1.4 a new edition\n%%EOF\n")
        [new] = await user.ask("/actionpack")
        [same] = await user.ask("/actionpack")
    assert pack_uploads(sandbox) == 2
    assert new.file_id != user.messages[0].file_id
    assert same.file_id == new.file_id


async def test_a_telegram_refusal_falls_back_to_the_link(
    sandbox: BotApiServer, bot: JfaApplication, caplog
) -> None:
    sandbox.faults.max_upload_bytes = 100  # the sample PDF is larger: Telegram says 413
    user = sandbox.user(1004, language_code="fr")
    fr = Translator.for_locale("fr")
    link, _offer = await user.ask("/actionpack", n=2)
    assert link.kind is MessageKind.TEXT
    assert link.plain.startswith(
        fr.gettext("I could not send the file just now. You can get the Action Pack here:")
    )
    assert "https://justiceforall.example.org/action-pack" in link.plain
    await user.ask("/actionpack")
    warnings = [r for r in caplog.records if "Could not send the Action Pack" in r.getMessage()]
    assert len(warnings) == 1  # the organizers' log says why, once


async def test_the_defender_form_is_recorded_with_consent(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(1005, language_code="en")
    await user.ask("/actionpack", n=2)
    await press(user, "📝 Tell us")
    await user.ask("Paralegal Network of Sierra Leone")
    await user.ask("sierra")
    await press(user, "Sierra Leone")
    [consent] = await press(user, "Something else")
    await user.ask("Training <b>village</b> committees")
    [thanks] = await press(user, "✅ I agree")
    assert thanks.plain == EN.gettext("Thank you! This helps the campaign a lot.")
    export = await store_of(bot).personal_data.export(1005)
    [request] = export["requests"]
    assert request["kind"] == "action_pack" and request["country"] == "SL"
    assert request["organisation"] == "Paralegal Network of Sierra Leone"
    assert request["usage"] == "other"
    assert request["usage_other"] == "Training <b>village</b> committees"
    assert consent is not None


async def test_the_defender_form_can_be_skipped_in_one_tap(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(1006, language_code="en")
    await user.ask("/actionpack", n=2)
    [done] = await press(user, "No, thanks")
    assert done.plain == EN.gettext("All right. Nothing was saved.")
    assert await store_of(bot).requests.count(RequestKind.ACTION_PACK) == 0
    assert await store_of(bot).flows.get(1006) is None


async def test_the_brief_pages_forward_and_back_by_editing_one_message(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(1007, language_code="pt")
    pt = Translator.for_locale("pt")
    [page] = await user.ask("/brief")
    items = bot.bot_data["content"].recommendations("pt")
    assert items["financing"][0].title in page.plain
    [second] = await user.tap(data_of(page, pt.gettext("Next ▶")))
    assert second.edited and second.message_id == page.message_id
    assert items["financing"][1].title in second.plain
    [back] = await user.tap(data_of(second, pt.gettext("◀ Previous")))
    assert items["financing"][0].title in back.plain
    [protection] = await user.tap(data_of(back, pt.gettext("🛡 Protection")))
    assert items["protection"][0].title in protection.plain
    assert len(user.messages) == 1
    share = protection.find_button(label=pt.gettext("📣 Share this recommendation"))
    assert share is not None and share.switch_inline_query == "rec protection 1"
    [card] = await user.inline_query("rec protection 1")
    assert items["protection"][0].title in card["input_message_content"]["message_text"]
    stale = await user.press_raw("b:protection:99", message_id=page.message_id)
    assert stale.text == pt.gettext("This button has expired. Please use /start.")


async def test_the_webinar_gate_records_the_request_then_answers_at_once(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(1008, first_name="Ines", language_code="es")
    es = Translator.for_locale("es")
    intro, ask_name = await user.ask("/webinar", n=2)
    assert ask_name.plain == es.gettext("What is your name?")
    await user.ask("Inés Gómez")
    await press(user, es.gettext("I have no organisation"))
    [consent] = await user.ask("Colombia")  # the whole name: taken without a tap
    assert consent.find_button(label=es.gettext("✅ I agree")) is not None
    [link] = await press(user, es.gettext("✅ I agree"))
    assert "https://justiceforall.example.org/webinar-recording" in link.plain
    [request] = (await store_of(bot).personal_data.export(1008))["requests"]
    assert (request["kind"], request["name"], request["country"]) == (
        "webinar",
        "Inés Gómez",
        "CO",
    )
    [again] = await user.ask("/webinar")
    assert "https://justiceforall.example.org/webinar-recording" in again.plain
    assert await store_of(bot).requests.count(RequestKind.WEBINAR) == 1
    assert intro is not None


async def test_a_signer_reuses_their_details_for_the_webinar(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(1009, first_name="Joy", language_code="en")
    await sign(user, name="Joy Banda", country_query="Malawi", country="MW", organisation="CHRR")
    _intro, confirm = await user.ask("/webinar", n=2)
    assert "Joy Banda, Malawi" in confirm.plain
    await press(user, "Yes, use them")
    [link] = await press(user, "✅ I agree")
    assert "webinar-recording" in link.plain
    [request] = (await store_of(bot).personal_data.export(1009))["requests"]
    assert (request["name"], request["organisation"], request["country"]) == (
        "Joy Banda",
        "CHRR",
        "MW",
    )


async def test_defenders_who_type_their_country_in_full_are_not_asked_to_tap_it(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    fr = Translator.for_locale("fr")
    webinar_viewer = sandbox.user(1010, language_code="fr")
    await webinar_viewer.ask("/webinar", n=2)
    await webinar_viewer.ask("Awa Diop")
    await press(webinar_viewer, fr.gettext("I have no organisation"))
    [consent] = await webinar_viewer.ask("sénégal")
    assert consent.find_button(label=fr.gettext("✅ I agree")) is not None, consent.plain
    await press(webinar_viewer, fr.gettext("✅ I agree"))
    [request] = (await store_of(bot).personal_data.export(1010))["requests"]
    assert request["country"] == "SN"
    # The Action Pack form: a country named in full in Arabic goes straight to the usage.
    ar = Translator.for_locale("ar")
    reader = sandbox.user(1011, language_code="ar")
    await reader.ask("/actionpack", n=2)
    await press(reader, ar.gettext("📝 Tell us"))
    await press(reader, ar.gettext("Skip"))
    [usage] = await reader.ask("فلسطين")
    assert usage.plain == ar.gettext("How will you use the Action Pack?")


async def test_a_misspelt_country_in_the_webinar_form_is_offered_as_a_guess(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(1012, language_code="en")
    await user.ask("/webinar", n=2)
    await user.ask("Baraka")
    await press(user, EN.gettext("I have no organisation"))
    [guess] = await user.ask("Keyna")
    assert guess.plain == EN.gettext(
        "I could not find “{query}”. Did you mean one of these?"
    ).format(query="Keyna")
    [consent] = await press(user, EN.country_name("KE"))
    assert consent.find_button(label=EN.gettext("✅ I agree")) is not None
