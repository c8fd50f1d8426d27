"""Supporters sign the petition, come back, share it, withdraw and erase their data."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from jfa_bot.app import JfaApplication
from jfa_bot.handlers.petition import Step
from jfa_bot.i18n import Translator, locales_dir
from jfa_bot.jobs import close_idle_forms
from jfa_bot.sandbox import BotApiServer, ChatMessage, SimulatedUser
from jfa_bot.settings import SUPPORTED_LOCALES, Settings
from jfa_bot.store import Visibility
from tests.conftest import data_of, press, store_of
from tests.e2e.conftest import BotRunner

EN = Translator.for_locale("en")


async def sign(
    user: SimulatedUser,
    *,
    name: str,
    country_query: str,
    country: str,
    organisation: str | None = None,
    withheld: bool = False,
    updates: bool = False,
    t: Translator = EN,
) -> ChatMessage:
    """Walk the whole signing form and return the thank-you message."""
    [intro] = await user.ask("/sign")
    assert data_of(intro, t.gettext("✍️ Sign with another name")).endswith(":intro:go")
    await press(user, t.gettext("✍️ Sign with another name"))
    await user.ask(name)
    [answer] = await user.ask(country_query)
    if answer.find_button(label=t.country_name(country)):
        await press(user, t.country_name(country))
    # else: the full name was typed, and taken without a tap
    if organisation:
        await user.ask(organisation)
    else:
        await press(user, t.gettext("Skip"))
    choice = (
        "No, only count my signature" if withheld else "Yes, hand over my name and organisation"
    )
    await press(user, t.gettext(choice))
    if updates:
        [_consent] = await press(user, t.gettext("☐ Send me the weekly spotlight"))
    [thanks] = await press(user, t.gettext("✅ I agree and sign"))
    return thanks


async def test_supporter_signs_in_french_with_the_name_withheld(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    fr = Translator.for_locale("fr")
    amelie = sandbox.user(201, first_name="Amélie", language_code="fr")
    thanks = await sign(
        amelie,
        name="  Amélie\u200b Dupont ",
        country_query="fra",
        country="FR",
        organisation="Avocats sans frontières",
        withheld=True,
        updates=True,
        t=fr,
    )
    assert thanks.plain.startswith(
        fr.gettext("🎉 Thank you, {name}! You are signer #{number}.").format(
            name="Amélie Dupont", number="1"
        )
    )
    assert "https://t.me/jfa_test_bot?start=r_" in thanks.plain
    store = store_of(bot)
    signature = await store.signatures.get(201)
    assert signature is not None
    assert (signature.name, signature.country, signature.locale) == ("Amélie Dupont", "FR", "fr")
    assert signature.organisation == "Avocats sans frontières"
    assert signature.visibility is Visibility.WITHHELD
    assert signature.petition_version.endswith("/fr")
    assert await store.subscriptions.is_subscribed(201)
    export = await store.personal_data.export(201)
    assert [(c["kind"], c["given"]) for c in export["consents"]] == [
        ("petition", True),
        ("updates", True),
    ]
    counts = await store.signatures.counts("2000-01-01")
    assert (counts.total, counts.top) == (1, (("FR", 1),))
    assert await store.flows.get(201) is None


async def test_updates_are_off_unless_the_signer_ticks_them(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(202, first_name="Kofi", language_code="en")
    thanks = await sign(user, name="Kofi", country_query="Ghana", country="GH")
    assert not await store_of(bot).subscriptions.is_subscribed(202)
    assert "🔔 Get the weekly spotlight" in thanks.button_labels()
    answer = await user.press(data_of(thanks, "🔔 Get the weekly spotlight"))
    assert answer.text == EN.gettext("You will receive the weekly spotlight.")
    assert await store_of(bot).subscriptions.is_subscribed(202)


async def test_a_second_attempt_keeps_one_signature(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(203, first_name="Lina", language_code="en")
    await sign(user, name="Lina", country_query="Jordan", country="JO")
    [status] = await user.ask("/sign")
    assert "as signer #1." in status.plain
    assert "↩️ Withdraw my signature" in status.button_labels()
    assert await store_of(bot).signatures.total() == 1


async def test_a_double_tap_on_i_agree_keeps_one_signature(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(204, first_name="Musa", language_code="en")
    [_intro] = await user.ask("/sign")
    await press(user, "✍️ Sign with another name")
    await user.ask("Musa")
    await user.ask("Nigeria")  # the full name: taken without a tap
    await press(user, "Skip")
    [consent] = await press(user, "Yes, hand over my name and organisation")
    agree = data_of(consent, "✅ I agree and sign")
    first, second = await asyncio.gather(user.press(agree), user.press(agree))
    await user.quiet(0.3)
    assert await store_of(bot).signatures.total() == 1
    assert EN.gettext("You have already signed. Thank you!") in (first.text, second.text)


async def test_a_restart_mid_flow_resumes_at_the_same_step(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    user = sandbox.user(205, first_name="Wanjiru", language_code="sw")
    sw = Translator.for_locale("sw")
    async with run_bot():
        await user.ask("/sign")
        await press(user, sw.gettext("✍️ Sign with another name"))
        [country_prompt] = await user.ask("Wanjiru Kamau")
        assert country_prompt.find_button(label=sw.gettext("← Back"))
    async with run_bot() as app:
        [choices] = await user.ask("Ken")
        assert sw.country_name("KE") in choices.button_labels()
        await press(user, sw.country_name("KE"))
        flow = await store_of(app).flows.get(205)
        assert flow is not None and flow.step == Step.ORGANISATION
        assert flow.data["name"] == "Wanjiru Kamau" and flow.data["country"] == "KE"


async def test_signer_withdraws_and_the_count_goes_down(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(206, first_name="Ana", language_code="pt")
    pt = Translator.for_locale("pt")
    await sign(user, name="Ana Silva", country_query="Moç", country="MZ", t=pt)
    [_confirm] = await user.ask("/withdraw")
    [done] = await press(user, pt.gettext("Yes, withdraw my signature"))
    assert done.plain == pt.gettext(
        "Your signature has been withdrawn. You can sign again at any time: /sign"
    )
    store = store_of(bot)
    assert await store.signatures.get(206) is None
    counts = await store.signatures.counts("2000-01-01")
    assert (counts.total, counts.countries) == (0, 0)
    consents = (await store.personal_data.export(206))["consents"]
    assert consents[-1]["kind"] == "petition" and consents[-1]["given"] is False


async def test_signer_forgets_and_the_database_file_holds_no_trace(
    sandbox: BotApiServer, run_bot: BotRunner, bot_settings: Settings
) -> None:
    name, organisation = "Zephyrine Quixotica", "Orgwidget Collective"
    user = sandbox.user(207, first_name="Z", language_code="en")
    other = sandbox.user(208, first_name="Other", language_code="en")
    async with run_bot() as app:
        await sign(user, name=name, country_query="Peru", country="PE", organisation=organisation)
        await sign(other, name="Someone Else", country_query="Peru", country="PE")
        await user.ask("/forget")
        [done] = await press(user, "Yes, erase everything")
        assert done.plain == EN.gettext("Everything we held about you has been erased.")
        store = store_of(app)
        assert await store.signatures.total() == 1
        assert (await store.personal_data.export(207))["signature"] is None
    files = [p for p in Path(bot_settings.db_path).parent.iterdir() if p.name.startswith("bot.")]
    assert files
    for path in files:
        content = path.read_bytes()
        for secret in (name, organisation, "Zephyrine", "Orgwidget"):
            assert secret.encode() not in content, f"{secret!r} found in {path.name}"
    assert b"Someone Else" in Path(bot_settings.db_path).read_bytes()  # noqa: ASYNC240


async def test_a_referral_chain_of_three_generations_is_counted(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    store = store_of(bot)
    ada = sandbox.user(301, first_name="Ada", language_code="en")
    await sign(ada, name="Ada", country_query="Kenya", country="KE")
    code = (await store.signatures.get(301)).referral_code  # type: ignore[union-attr]
    for user_id, first in ((302, "Ben"), (303, "Cy"), (304, "Di")):
        newcomer = sandbox.user(user_id, first_name=first, language_code="en")
        await newcomer.ask(f"/start r_{code}")
        await sign(newcomer, name=first, country_query="Uganda", country="UG")
        code = (await store.signatures.get(user_id)).referral_code  # type: ignore[union-attr]
    # A self-referral is ignored.
    await ada.ask(f"/start r_{code}")
    assert await store.signatures.referrals(301) == (1, 3)
    assert await store.signatures.referrals(302) == (1, 2)
    assert await store.signatures.referrals(304) == (0, 0)
    assert (await store.signatures.get(302)).referred_by == 301  # type: ignore[union-attr]
    [status] = await ada.ask("/sign")
    assert "1 person signed through your link." in status.plain
    assert "Counting the people they brought in: 3 people in all." in status.plain


async def test_the_inline_card_shows_the_live_count(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    sharer = sandbox.user(401, first_name="Esi", language_code="es")
    es = Translator.for_locale("es")
    [empty] = await sharer.inline_query("")
    assert empty["title"] == es.ngettext(
        "Sign the petition — {n} signature so far",
        "Sign the petition — {n} signatures so far",
        0,
    ).format(n="0")
    await sign(sharer, name="Esi", country_query="Perú", country="PE", t=es)
    await sign(
        sandbox.user(402, language_code="en"), name="Bo", country_query="Peru", country="PE"
    )
    [card] = await sharer.inline_query("petition")
    assert card["title"] == es.ngettext(
        "Sign the petition — {n} signature so far",
        "Sign the petition — {n} signatures so far",
        2,
    ).format(n="2")
    url = card["reply_markup"]["inline_keyboard"][0][0]["url"]
    code = (await store_of(bot).signatures.get(401)).referral_code  # type: ignore[union-attr]
    assert url == f"https://t.me/jfa_test_bot?start=r_{code}"


async def test_count_shows_total_countries_today_and_top_countries(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    async with run_bot(public_country_min=1):  # name even a lone signer's country here
        await _count_shows_total_countries_today_and_top_countries(sandbox)


async def _count_shows_total_countries_today_and_top_countries(sandbox: BotApiServer) -> None:
    viewer = sandbox.user(501, language_code="en")
    [nothing] = await viewer.ask("/count")
    assert nothing.plain == EN.gettext("No one has signed yet. Be the first: /sign")
    for user_id, country, query in (
        (502, "KE", "Kenya"),
        (503, "KE", "Kenya"),
        (504, "BR", "Bra"),
    ):
        await sign(
            sandbox.user(user_id, language_code="en"),
            name="N",
            country_query=query,
            country=country,
        )
    [count] = await viewer.ask("/count")
    assert count.plain.splitlines()[:3] == [
        "3 signatures so far",
        "from 2 countries",
        "3 new signatures today",
    ]
    assert "1. Kenya — 2" in count.plain and "2. Brazil — 1" in count.plain


async def test_mydata_sends_everything_as_readable_json(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(601, first_name="Tariq", language_code="ar")
    await user.ask("/start s_radio")
    await sign(user, name="طارق", country_query="مصر", country="EG", t=Translator.for_locale("ar"))
    [summary, document] = await user.ask("/mydata", n=2)
    heading = Translator.for_locale("ar").gettext("<b>What we hold about you</b>")
    assert summary.plain.startswith(heading.removeprefix("<b>").removesuffix("</b>"))
    assert "طارق" in summary.plain
    assert document.document_name == "my-jfa-data.json"
    stored = next(f for f in sandbox.uploads if f.file_id == document.file_id)
    data = json.loads(stored.data.decode())
    assert data["profile"]["source"] == "radio"
    assert data["signature"]["name"] == "طارق" and data["signature"]["country"] == "EG"
    assert "طارق" in stored.data.decode()  # readable, not \\u-escaped
    assert data["consents"][0]["kind"] == "petition"


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("\u200b\u200d\u202e ", "That looks empty. Please type it with letters."),
        ("https://example.org/spam", "Please type a name, not a link."),
        ("🎉🎉 !!", "Please use letters, not only symbols or emoji."),
        ("x" * 101, "That is too long: please keep it under 100 characters."),
    ],
)
async def test_bad_names_are_refused_with_a_reason_and_the_step_is_asked_again(
    sandbox: BotApiServer, bot: JfaApplication, typed: str, problem: str
) -> None:
    user = sandbox.user(701, first_name="Q", language_code="en")
    await user.ask("/sign")
    await press(user, "✍️ Sign with another name")
    reason, again = await user.ask(typed, n=2)
    assert reason.plain == EN.gettext(problem)
    assert again.plain.startswith("Step 1 of 5.")
    flow = await store_of(bot).flows.get(701)
    assert flow is not None and flow.step == Step.NAME and "name" not in flow.data


async def test_html_in_a_name_is_stored_as_text_and_escaped_when_shown(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(702, first_name="<b>Bold</b>", language_code="en")
    thanks = await sign(
        user,
        name="<script>alert(1)</script> Bob & Co",
        country_query="Chile",
        country="CL",
        organisation="<i>Org</i>",
    )
    assert "<script>alert(1)</script> Bob & Co" in thanks.plain
    assert "&lt;script&gt;" in thanks.text
    signature = await store_of(bot).signatures.get(702)
    assert signature is not None and signature.organisation == "<i>Org</i>"


async def test_unknown_country_gets_suggestions_not_a_dead_end(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(703, first_name="R", language_code="en")
    await user.ask("/sign")
    await press(user, "✍️ Sign with another name")
    await user.ask("R")
    [suggest] = await user.ask("Keyna")
    assert suggest.plain.startswith("I could not find “Keyna”. Did you mean one of these?")
    assert "Kenya" in suggest.button_labels()
    [nothing] = await user.ask("Atlantisxq")
    assert "Please try another spelling" in nothing.plain
    assert nothing.find_button(label="← Back") is not None


async def test_media_mid_flow_asks_the_step_again(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(704, first_name="S", language_code="en")
    await user.ask("/sign")
    await press(user, "✍️ Sign with another name")
    await user.send_sticker()
    hint, again = await user.wait(n=2)
    assert hint.plain == EN.gettext("Please type your answer as text.")
    assert again.plain.startswith("Step 1 of 5.")


async def test_stale_buttons_from_an_earlier_step_or_form_are_refused(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(705, first_name="T", language_code="en")
    [intro] = await user.ask("/sign")
    old_sign = data_of(intro, "✍️ Sign with another name")
    await user.tap(old_sign)
    answer = await user.press_raw(old_sign, message_id=intro.message_id)  # earlier step
    assert answer.text == EN.gettext("This button has expired. Please use /start.")
    [cancelled] = await user.ask("/cancel")
    assert cancelled.plain == EN.gettext("Cancelled. Nothing was saved.")
    assert await store_of(bot).flows.get(705) is None
    answer = await user.press_raw(old_sign, message_id=intro.message_id)  # earlier form
    assert answer.text == EN.gettext("This button has expired. Please use /start.")
    forged = await user.press_raw("p:zzzzzz:consent:ok", message_id=intro.message_id)
    assert forged.text == EN.gettext("This button has expired. Please use /start.")
    assert await store_of(bot).signatures.total() == 0


async def test_an_idle_form_is_closed_and_nothing_is_saved(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(706, first_name="U", language_code="fr")
    fr = Translator.for_locale("fr")
    await user.ask("/sign")
    await press(user, fr.gettext("✍️ Sign with another name"))
    await user.ask("Ursule")
    store = store_of(bot)
    await store.db.execute("UPDATE flows SET updated_at = '2000-01-01T00:00:00Z'")
    [job] = bot.job_queue.get_jobs_by_name("close-idle-forms")  # type: ignore[union-attr]
    await job.run(bot)
    [notice] = await user.wait()
    assert notice.plain == fr.ngettext(
        "Your form was closed after {n} minute without activity. Nothing was saved.",
        "Your form was closed after {n} minutes without activity. Nothing was saved.",
        30,
    ).format(n="30")
    assert await store.flows.get(706) is None
    assert close_idle_forms is not None


async def test_milestones_are_recorded_exactly_once(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    async with run_bot(milestones=(2,)) as app:
        for user_id in (801, 802, 803):
            await sign(
                sandbox.user(user_id, language_code="en"),
                name="M",
                country_query="Fiji",
                country="FJ",
            )
        await sandbox.user(802, language_code="en").ask("/withdraw")
        await press(sandbox.user(802, language_code="en"), "Yes, withdraw my signature")
        await sign(
            sandbox.user(804, language_code="en"), name="M", country_query="Fiji", country="FJ"
        )
        milestones = await store_of(app).signatures.milestones()
    assert [m[0] for m in milestones] == [2]


def _english_msgids() -> list[str]:
    with (locales_dir() / "messages.pot").open("rb") as fp:
        return [m.id for m in read_po(fp) if isinstance(m.id, str) and len(m.id) > 12]


@pytest.mark.parametrize("locale", [code for code in SUPPORTED_LOCALES if code != "en"])
async def test_each_step_renders_with_no_untranslated_text(
    sandbox: BotApiServer, bot: JfaApplication, locale: str
) -> None:
    t = Translator.for_locale(locale)
    user = sandbox.user(900, first_name="Polyglot", language_code=locale)
    await sign(user, name="Polyglot", country_query="Kenya", country="KE", t=t)
    await user.ask("/sign")
    await user.ask("/count")
    await user.ask("/privacy")
    english = _english_msgids()
    for message in user.messages:
        for msgid in english:
            assert msgid not in message.text, f"untranslated in {locale}: {msgid!r}"
        for label in message.button_labels():
            assert label not in english, f"untranslated button in {locale}: {label!r}"
    assert len(user.messages) >= 6
