"""Supporters go from a shared link to "You are signer #N" in few taps, with no dead ends."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from jfa_bot.app import JfaApplication
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer, ChatMessage, SimulatedUser
from tests.conftest import data_of, press, store_of
from tests.e2e.test_petition import sign

EN = Translator.for_locale("en")
HOME = "🏠 Main menu"


class Counted:
    """A supporter whose every interaction (a message typed or a button pressed) is counted."""

    def __init__(self, user: SimulatedUser) -> None:
        self.user = user
        self.interactions = 0

    async def ask(self, text: str) -> ChatMessage:
        self.interactions += 1
        [answer] = await self.user.ask(text)
        return answer

    async def tap(self, message: ChatMessage, label: str) -> ChatMessage:
        self.interactions += 1
        [answer] = await self.user.tap(data_of(message, label))
        return answer


@pytest.mark.parametrize(("locale", "country"), [("en", "Kenya"), ("ar", "كينيا")])
async def test_a_friend_signs_from_a_share_link_in_six_interactions(
    sandbox: BotApiServer, bot: JfaApplication, locale: str, country: str
) -> None:
    t = Translator.for_locale(locale)
    thanks = await sign(
        sandbox.user(301, first_name="Amina", language_code="en"),
        name="Amina",
        country_query="Ghana",
        country="GH",
    )
    link = re.search(r"start=(r_\w+)", thanks.plain)
    assert link is not None
    friend = Counted(sandbox.user(302, first_name="Sam", language_code=locale))

    petition = await friend.ask(f"/start {link.group(1)}")  # the tap on the shared link
    title = bot.bot_data["content"].petition(locale).title
    assert title in petition.plain  # the petition itself, not a menu
    country_step = await friend.tap(petition, t.gettext("✍️ Sign as “{name}”").format(name="Sam"))
    organisation_step = await friend.ask(country)  # the full name: no tap needed
    assert organisation_step.find_button(label=t.gettext("Skip")) is not None
    visibility_step = await friend.tap(organisation_step, t.gettext("Skip"))
    consent = await friend.tap(visibility_step, t.gettext("No, only count my signature"))
    assert t.gettext("You are signing: <b>{title}</b>").format(title="")[:-7] in consent.text
    assert title in consent.plain  # what is being signed, on the consent screen
    assert consent.find_button(label=t.gettext("📜 Read the petition")) is not None
    done = await friend.tap(consent, t.gettext("✅ I agree and sign"))

    assert done.plain.startswith(
        t.gettext("🎉 Thank you, {name}! You are signer #{number}.").format(
            name="Sam", number=t.number(2)
        )
    )
    assert friend.interactions <= 6
    assert country_step.text == t.gettext(
        "<b>Step 2 of 5.</b> Which country are you in? Type part of its name "
        "(for example “Ken” for Kenya)."
    )
    signature = await store_of(bot).signatures.get(302)
    assert signature is not None
    assert (signature.name, signature.country, signature.referred_by) == ("Sam", "KE", 301)


async def test_a_campaign_link_opens_the_petition_with_its_sign_button(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    visitor = sandbox.user(303, first_name="Kofi", language_code="en")
    [landing] = await visitor.ask("/start s_week10")
    assert bot.bot_data["content"].petition("en").title in landing.plain
    assert data_of(landing, "✍️ Sign as “Kofi”").endswith(":intro:tg")
    user = await store_of(bot).users.get(303)
    assert user is not None and user.source == "week10"


async def test_the_consent_screen_shows_the_petition_on_request(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(304, first_name="Lina", language_code="en")
    await user.ask("/sign")
    await press(user, "✍️ Sign as “Lina”")
    await user.ask("Jordan")
    await press(user, "Skip")
    [consent] = await press(user, "No, only count my signature")
    text = bot.bot_data["content"].petition("en").text
    first_words = re.sub(r"<[^>]+>", "", text).split()[:4]
    assert " ".join(first_words) not in consent.plain
    [reading] = await press(user, "📜 Read the petition")
    assert " ".join(first_words) in reading.plain
    assert "✅ I agree and sign" in reading.button_labels()
    [hidden] = await press(user, "📜 Hide the petition text")
    assert " ".join(first_words) not in hidden.plain


async def test_back_after_a_failed_search_shows_the_step_asked_for(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(305, first_name="Sam", language_code="en")
    await user.ask("/sign")
    await press(user, "✍️ Sign with another name")
    await user.ask("Ken")
    [failed] = await user.ask("Zzzzqqq")
    assert "I could not find “Zzzzqqq”" in failed.plain
    [name_step] = await press(user, "← Back")
    assert name_step.plain.startswith("Step 1 of 5.")
    [country_step] = await press(user, "Use “Sam”")
    assert country_step.plain.startswith("Step 2 of 5. Which country are you in?")
    assert "Zzzzqqq" not in country_step.plain


async def test_every_closing_message_offers_a_next_step(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(306, first_name="Musa", language_code="en")
    # "Not now" on the petition.
    await user.ask("/sign")
    [not_now] = await press(user, "Not now")
    assert not_now.plain == "Cancelled. Nothing was saved."
    assert HOME in not_now.button_labels() and "✍️ Sign the petition" in not_now.button_labels()
    # "✖ Cancel" in the middle of the form, and /cancel.
    await user.ask("/sign")
    await press(user, "✍️ Sign with another name")
    [cancelled] = await press(user, "✖ Cancel")
    assert cancelled.plain == "Cancelled. Nothing was saved." and HOME in cancelled.button_labels()
    [nothing] = await user.ask("/cancel")
    assert HOME in nothing.button_labels()
    # The main menu, one tap away.
    [menu] = await user.tap(data_of(cancelled, HOME))
    assert menu.plain.startswith("Justice For All") and len(menu.buttons) == 9
    # The idle-timeout notice.
    await user.ask("/sign")
    [name_step] = await press(user, "✍️ Sign with another name")
    store = store_of(bot)
    await store.db.execute("UPDATE flows SET updated_at = '2000-01-01T00:00:00Z'")
    [job] = bot.job_queue.get_jobs_by_name("close-idle-forms")  # type: ignore[union-attr]
    await job.run(bot)
    [notice] = await user.wait()
    assert notice.plain.startswith("Your form was closed after 30 minutes")
    assert HOME in notice.button_labels()
    # A button of the closed form: the notice, and the menu instead of its dead buttons.
    stale = await user.press(data_of(name_step, "✖ Cancel"))
    assert stale.text == EN.gettext("This button has expired. Please use /start.")
    [replaced] = await user.wait()
    assert replaced.message_id == name_step.message_id and replaced.button_labels() == [HOME]
    # The thank-you.
    thanks = await sign(user, name="Musa", country_query="Nigeria", country="NG")
    assert HOME in thanks.button_labels()


async def test_the_action_pack_and_webinar_forms_end_with_a_next_step(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(307, first_name="Zawadi", language_code="en")
    _intro, name_step = await user.ask("/webinar", n=2)
    await user.ask("Zawadi")
    await press(user, "I have no organisation")
    [consent] = await user.ask("Tanzania")  # the whole name: taken without a tap
    decline = "No thanks, skip the recording"
    assert decline in consent.button_labels(), consent.button_labels()
    [declined] = await press(user, decline)
    assert "the recording's link is not shown" in declined.plain
    assert HOME in declined.button_labels()
    assert name_step.plain == "What is your name?"
    # The optional Action Pack form ends with thanks and the next steps.
    await user.send("/actionpack")
    await sandbox.wait_until(lambda: user.last.find_button(label="📝 Tell us") is not None, 10)
    await press(user, "📝 Tell us")
    await press(user, "Skip")
    await press(user, "Skip")
    await press(user, "Training")
    [thanks] = await press(user, "✅ I agree")
    assert thanks.plain == "Thank you! This helps the campaign a lot."
    assert HOME in thanks.button_labels() and "✍️ Sign the petition" in thanks.button_labels()


async def test_the_signers_card_shows_what_they_signed_with(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(308, first_name="Halima", language_code="en")
    await sign(user, name="Halima Said", country_query="Tanz", country="TZ", organisation="Kituo")
    [card] = await user.ask("/sign")
    assert "Name: Halima Said" in card.plain
    assert "Country: Tanzania" in card.plain
    assert "Organisation: Kituo" in card.plain
    [change] = await press(user, "🏢 Change organisation")
    assert "Your organisation now: Kituo" in change.plain
    assert "✖ Cancel" in change.button_labels()
    answer = await user.press(data_of(change, "✖ Cancel"))
    assert answer.text == "Nothing was changed."
    [card_again] = await user.wait()
    assert "Organisation: Kituo" in card_again.plain
    assert await store_of(bot).flows.get(308) is None
    [reply] = await user.ask("Another Org")  # the form is closed: not taken as an organisation
    signature = await store_of(bot).signatures.get(308)
    assert signature is not None and signature.organisation == "Kituo"
    assert reply.plain.startswith("Sorry, I did not understand that.")


async def test_an_old_button_outside_a_form_gives_the_way_back_to_the_menu(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    """Stale menus, confirmations, weeks and languages: the notice, then the menu button."""
    from jfa_bot import confirmations
    from tests.conftest import TEST_TOKEN

    user = sandbox.user(309, first_name="Rehema", language_code="en")
    thanks = await sign(user, name="Rehema", country_query="Kenya", country="KE")
    [confirm] = await user.ask("/withdraw")
    [weeks] = await user.ask("/weeks")
    [languages] = await user.ask("/language")
    [welcome] = await user.ask("/start")
    old = ":".join(confirmations.issue(TEST_TOKEN, 309, "wd_yes", now=0))
    stale = [
        (f"s:wd_yes:{old}", confirm),  # a withdrawal confirmation shown long ago
        ("w:w:99", weeks),  # a week taken out of the content since
        ("l:de", languages),  # a language no longer offered
        ("m:donate", welcome),  # a menu entry that no longer exists
        ("zz:1", thanks),  # a button of an older version of the bot
    ]
    for data, message in stale:
        answer = await user.press_raw(data, message_id=message.message_id)
        assert answer.text == EN.gettext("This button has expired. Please use /start."), data
        [replaced] = await user.wait()
        assert replaced.message_id == message.message_id, data
        assert replaced.button_labels() == [HOME], data
    assert await store_of(bot).signatures.get(309) is not None  # nothing was withdrawn


async def test_withdrawing_erasing_and_joining_the_list_each_end_with_a_next_step(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    """The answers to the privacy confirmations are not dead ends, in the user's language."""
    fr = Translator.for_locale("fr")
    home = fr.gettext("🏠 Main menu")
    user = sandbox.user(310, first_name="Awa", language_code="fr")
    await sign(user, name="Awa", country_query="Sénégal", country="SN", withheld=True, t=fr)
    [summary, _file] = await user.ask("/mydata", n=2)
    assert "2026-" not in summary.plain  # the day is written in words, in French
    signature = await store_of(bot).signatures.get(310)
    assert signature is not None
    assert fr.date(dt.date.fromisoformat(signature.signed_day)) in summary.plain
    await user.ask("/sign")
    [question] = await press(user, fr.gettext("👁 Add my name to the hand-over list…"))
    [listed] = await press(user, fr.gettext("Yes, hand over my name and organisation"))
    assert home in listed.button_labels()
    await user.ask("/withdraw")
    [withdrawn] = await press(user, fr.gettext("Yes, withdraw my signature"))
    assert withdrawn.button_labels() == [fr.gettext("✍️ Sign the petition"), home]
    [nothing] = await user.ask("/withdraw")
    assert home in nothing.button_labels()
    await user.ask("/forget")
    [erased] = await press(user, fr.gettext("Yes, erase everything"))
    assert erased.plain == fr.gettext("Everything we held about you has been erased.")
    assert erased.button_labels() == [home]
    assert question is not None
