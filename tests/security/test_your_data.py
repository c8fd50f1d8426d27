"""What a person sees of their data, how they erase it, and what confirmations protect.

/mydata holds everything about the person (deliveries too) and nothing about anyone else;
/forget also deletes the bot's messages that show their name; confirmation buttons are
the person's own and expire; adding a name to the hand-over list is asked for plainly.
"""

from __future__ import annotations

import json
import time

import pytest

from jfa_bot import confirmations
from jfa_bot.app import JfaApplication
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer, ChatMessage, SimulatedUser
from jfa_bot.store import Visibility
from jfa_bot.store.broadcasts import BroadcastKind
from tests.conftest import TEST_TOKEN, press, settle, store_of
from tests.e2e.test_petition import sign

EN = Translator.for_locale("en")
EXPIRED = EN.gettext("This button has expired. Please use /start.")
NAME = "Wanjiru Achieng-Test"
ORGANISATION = "Nairobi Paralegal Network"


async def _mydata(user: SimulatedUser, sandbox: BotApiServer) -> tuple[ChatMessage, bytes]:
    [summary, document] = await user.ask("/mydata", n=2)
    stored = next(f for f in sandbox.uploads if f.file_id == document.file_id)
    return summary, stored.data


async def test_mydata_says_nothing_about_the_person_whose_link_brought_you(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    sharer = sandbox.user(777111, language_code="en")
    await sign(sharer, name="Sharer Private", country_query="Kenya", country="KE", withheld=True)
    sharers = await store_of(bot).signatures.get(777111)
    assert sharers is not None
    friend = sandbox.user(4002, language_code="en")
    await friend.ask(f"/start r_{sharers.referral_code}")
    await sign(friend, name=NAME, country_query="Kenya", country="KE")
    summary, data = await _mydata(friend, sandbox)
    assert b"777111" not in data and sharers.referral_code.encode() not in data
    assert b"Sharer Private" not in data and "Sharer" not in summary.plain
    exported = json.loads(data)
    assert exported["signature"]["came_through_a_share_link"] is True
    assert "referred_by" not in exported["signature"]
    assert exported["signature"]["name"] == NAME


async def test_mydata_lists_campaign_messages_and_sums_up_in_the_chat(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(4003, language_code="en")
    await sign(user, name=NAME, country_query="Kenya", country="KE", updates=True)
    await store_of(bot).broadcasts.create(
        kind=BroadcastKind.CUSTOM,
        label="Week 1 news",
        variants={"en": "Hello"},
        default_locale="en",
    )
    summary, data = await _mydata(user, sandbox)
    [delivery] = json.loads(data)["messages_sent_to_you"]
    assert delivery["label"] == "Week 1 news" and delivery["kind"] == "custom"
    assert summary.plain.startswith(EN.gettext("<b>What we hold about you</b>")[3:-4])
    assert f"Name: {NAME}" in summary.plain
    assert EN.gettext("Weekly spotlight: subscribed.") in summary.plain
    assert "1 campaign message sent to you." in summary.plain


def _shows_name(message: ChatMessage) -> bool:
    return NAME in message.plain or any(NAME in label for label in message.button_labels())


async def test_forget_also_deletes_the_bots_messages_that_show_the_name(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(4004, first_name=NAME, language_code="en")
    await sign(user, name=NAME, country_query="Kenya", country="KE", organisation=ORGANISATION)
    await _mydata(user, sandbox)
    assert sum(_shows_name(m) for m in user.messages) >= 2  # summary+thanks, /mydata
    await user.ask("/forget")
    [erased] = await press(user, EN.gettext("Yes, erase everything"))
    await settle(sandbox, bot)
    assert erased.plain == EN.gettext("Everything we held about you has been erased.")
    assert [m.plain for m in user.messages if _shows_name(m)] == []
    assert await store_of(bot).personal_data.named_messages(4004) == []


async def test_forget_says_which_messages_telegram_would_not_delete(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(4005, language_code="en")
    thanks = await sign(user, name=NAME, country_query="Kenya", country="KE")
    # Telegram deletes a message only within 48 hours of sending it.
    sandbox.store.messages[4005][thanks.message_id].data["date"] -= 3 * 24 * 3600
    await user.ask("/forget")
    [erased] = await press(user, EN.gettext("Yes, erase everything"))
    assert erased.plain.startswith(EN.gettext("Everything we held about you has been erased."))
    assert "1 earlier message of this bot that showed your name could not be deleted" in (
        erased.plain
    )
    assert await store_of(bot).signatures.get(4005) is None


async def test_old_or_foreign_erase_buttons_change_nothing(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    store = store_of(bot)
    user = sandbox.user(4006, language_code="en")
    welcome = await sign(user, name=NAME, country_query="Kenya", country="KE")
    month_ago = time.time() - 30 * 24 * 3600
    forged = []
    for action in ("wd_yes", "forget_yes"):
        old = confirmations.issue(TEST_TOKEN, 4006, action, now=month_ago)
        someone_elses = confirmations.issue(TEST_TOKEN, 4999, action)
        forged += [f"s:{action}", f"s:{action}:{':'.join(old)}"]
        forged += [f"s:{action}:{':'.join(someone_elses)}", f"s:{action}:0:AAAAAAAAAAAA"]
    for data in forged:
        answer = await user.press_raw(data, message_id=welcome.message_id)
        assert answer.text == EXPIRED, data
    await settle(sandbox, bot)
    assert await store.signatures.get(4006) is not None
    assert await store.users.get(4006) is not None
    # The button just shown works, and says how long it works.
    [question] = await user.ask("/withdraw")
    assert "This button works for 15 minutes." in question.plain
    [done] = await press(user, EN.gettext("Yes, withdraw my signature"))
    assert await store.signatures.get(4006) is None and done.plain


async def test_adding_a_name_to_the_handover_list_asks_first(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    store = store_of(bot)
    user = sandbox.user(4007, language_code="en")
    thanks = await sign(user, name=NAME, country_query="Kenya", country="KE", withheld=True)
    # An old status message's one-tap "show my name" does nothing any more.
    answer = await user.press_raw("s:vis:public", message_id=thanks.message_id)
    assert answer.text == EXPIRED
    [replaced] = await user.wait()  # its buttons give way to the menu
    assert replaced.message_id == thanks.message_id
    assert replaced.button_labels() == [EN.gettext("🏠 Main menu")]
    signature = await store.signatures.get(4007)
    assert signature is not None and signature.visibility is Visibility.WITHHELD
    [status] = await user.ask("/sign")
    assert (
        EN.gettext("Your name and organisation are not handed over: only the counts include you.")
        in status.plain
    )
    [question] = await press(user, EN.gettext("👁 Add my name to the hand-over list…"))
    assert "name and organisation" in question.plain and "Governments" in question.plain
    signature = await store.signatures.get(4007)
    assert signature is not None and signature.visibility is Visibility.WITHHELD
    [done] = await press(user, EN.gettext("Yes, hand over my name and organisation"))
    signature = await store.signatures.get(4007)
    assert signature is not None and signature.visibility is Visibility.PUBLIC
    assert "you said yes" in done.plain


# What each language's /privacy says about share links (the sharer sees a count, not who).
_SHARER_SEES = {
    "en": "that person can see how many people signed through it, but not who",
    "fr": "cette personne peut voir combien de personnes ont signé par ce lien",
    "es": "esa persona puede ver cuántas personas firmaron a través de él",
    "pt": "essa pessoa pode ver quantas pessoas assinaram por ele",
    "ar": "فبإمكانه أن يرى عدد من وقّعوا عبر هذا الرابط",
    "sw": "anaweza kuona ni watu wangapi wametia sahihi kupitia kiungo hicho",
}


@pytest.mark.parametrize("locale", sorted(_SHARER_SEES))
async def test_privacy_tells_a_signer_that_whoever_shared_their_link_sees_a_count(
    sandbox: BotApiServer, bot: JfaApplication, locale: str
) -> None:
    # A link passed to one person alone tells its sharer whether that person signed.
    person = sandbox.user(4100 + sorted(_SHARER_SEES).index(locale), language_code=locale)
    [privacy] = await person.ask("/privacy")
    assert _SHARER_SEES[locale] in privacy.plain
