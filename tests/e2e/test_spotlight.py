"""Supporters read the weekly spotlight in their own language, images included.

The walk goes through the real Application and the stand-in: /spotlight, /weeks, a week's
button, /subscribe, and the organizer's broadcast of the week, for a supporter in each of
the six languages. A non-English supporter must find no English anywhere: not in the
post, its footer, its buttons, nor the bot's own words around it.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from jfa_bot.app import JfaApplication
from jfa_bot.content import SAMPLE_DIR, Content
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer, SimulatedUser
from jfa_bot.sandbox.state import ChatMessage, MessageKind
from tests.conftest import ADMIN_ID, data_of, store_of
from tests.e2e.conftest import BotRunner
from tests.e2e.test_broadcast import newest_broadcast, wait_finished

LOCALES = ("en", "fr", "es", "pt", "ar", "sw")
_LINKS = re.compile(r"https?://\S+|#\w+|/\w+|@\w+|<[^>]*>|\\\n")


def shingles(text: str) -> set[tuple[str, ...]]:
    """Return the text's runs of three words, links, hashtags and commands left out."""
    words = re.findall(r"[^\W\d_]+", _LINKS.sub(" ", text).lower())
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def own_wording(content: Content, locale: str) -> set[tuple[str, ...]]:
    """Return what the locale's own content says (names such as "Open Government ...")."""
    folder = content.directory / locale
    return set().union(*(shingles(path.read_text("utf-8")) for path in folder.glob("*.toml")))


def labels(messages: list[ChatMessage]) -> set[str]:
    return {button.text for message in messages for row in message.buttons for button in row}


async def walk(user: SimulatedUser) -> list[ChatMessage]:
    """Read this week's post, list the weeks, open one, and subscribe."""
    seen = list(await user.ask("/spotlight"))
    [weeks] = await user.ask("/weeks")
    seen.append(weeks)
    week = next(b for row in weeks.buttons for b in row if b.callback_data)
    seen += await user.tap(week.callback_data)
    seen += await user.ask("/subscribe")
    return seen


async def broadcast_week(
    admin: SimulatedUser, week: int, per_language: int, *, photo: bool = False
) -> None:
    """Broadcast a week's post through the organizer's buttons, check included."""
    [menu] = await admin.ask("/broadcast")
    choice = next(
        b for row in menu.buttons for b in row if (b.callback_data or "").endswith(f":wk:{week}")
    )
    # Each language's preview (the post as sent, headed by its language: one message for
    # a text post, a heading and then the messages of a post with a photo), then the check.
    previews = 1 + per_language if photo else 1
    await admin.tap(choice.callback_data, n=previews * len(LOCALES) + 1)
    go = next(b for row in admin.last.buttons for b in row if b.text.startswith("✅"))
    await admin.tap(go.callback_data, n=0)


async def test_supporters_in_six_languages_read_and_receive_spotlights_without_english(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    content = Content.load(None)
    [week] = [w for w in content.spotlights("en") if len(content.spotlight_variants(w)) == 6]
    seen: dict[str, list[ChatMessage]] = {}
    async with run_bot() as app:
        users = {
            locale: sandbox.user(81_000 + i, language_code=locale)
            for i, locale in enumerate(LOCALES)
        }
        for locale, user in users.items():
            seen[locale] = await walk(user)
        admin = sandbox.user(ADMIN_ID, language_code="en")
        await broadcast_week(admin, week, per_language=1)
        broadcast = await newest_broadcast(store_of(app))
        await wait_finished(app, broadcast.id)
        await admin.quiet(0.3)
    received = {}
    for locale, user in users.items():
        [post] = [m for m in sandbox.messages_in(user.id) if m not in seen[locale]]
        received[locale] = post
        seen[locale].append(post)

    english_text = set().union(*(shingles(m.plain) for m in seen["en"]))
    english_labels = labels(seen["en"])
    for locale in LOCALES[1:]:
        text = "\n".join(m.plain for m in seen[locale])
        leaks = (shingles(text) & english_text) - own_wording(content, locale)
        assert leaks == set(), f"{locale}: English words {sorted(leaks)[:5]}"
        assert labels(seen[locale]) & english_labels == set(), locale
        # The broadcast post is the locale's own, footer and sign button included.
        post = received[locale]
        assert post.plain.startswith(content.spotlights(locale)[week].title)
        [[sign], [stop]] = post.buttons  # the post's own button, then "stop these posts"
        assert sign.url == f"https://t.me/jfa_test_bot?start=s_week{week}"
        assert stop.callback_data == "w:stop"
    assert "Sign the petition" in received["en"].plain


def picture(path: Path, size: tuple[int, int] = (640, 360), kind: str = "PNG") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (42, 111, 151)).save(path, kind)


@pytest.fixture
def illustrated(tmp_path: Path) -> Path:
    """Return a copy of the sample where week 9 has a photo in every language, and English
    also has a short week 10 whose whole post fits in a photo's caption."""
    folder = tmp_path / "content"
    shutil.copytree(SAMPLE_DIR, folder)
    picture(folder / "images" / "week-9.png")
    picture(folder / "en" / "week-10.jpg", kind="JPEG")
    for locale in LOCALES:
        path = folder / locale / "spotlights.toml"
        text = path.read_text("utf-8")
        text = re.sub(r"(number = 9\n)", r'\1image = "../images/week-9.png"\n', text)
        if locale == "en":
            text += (
                '\n[[week]]\nnumber = 10\ntitle = "Week 10: A short one"\n'
                'image = "week-10.jpg"\nbody = "Short enough for a caption."\n'
            )
        path.write_text(text, "utf-8")
    return folder


async def test_a_post_with_an_image_arrives_as_a_photo_with_or_above_its_text(
    sandbox: BotApiServer, run_bot: BotRunner, illustrated: Path
) -> None:
    async with run_bot(content_dir=illustrated) as app:
        reader = sandbox.user(82_001, language_code="en")
        [weeks] = await reader.ask("/weeks")
        by_week = {b.callback_data.rsplit(":", 1)[-1]: b for row in weeks.buttons for b in row}
        [short] = await reader.tap(by_week["10"].callback_data)
        assert short.kind is MessageKind.PHOTO
        assert short.plain.startswith("Week 10: A short one\n\nShort enough for a caption.")
        assert short.buttons[0][0].url == "https://t.me/jfa_test_bot?start=s_week10"
        photo, text = await reader.tap(by_week["9"].callback_data, n=2)
        assert photo.kind is MessageKind.PHOTO and photo.plain == ""
        assert text.kind is MessageKind.TEXT and text.plain.startswith("Week 9")
        assert text.buttons[0][0].text == "✍️ Sign the petition"

        subscribers = [
            sandbox.user(82_100 + i, language_code=loc) for i, loc in enumerate(LOCALES * 3)
        ]
        for user in subscribers:
            await user.ask("/subscribe")
        uploads_before = len(sandbox.store.uploads)
        admin = sandbox.user(ADMIN_ID, language_code="en")
        await broadcast_week(admin, 9, per_language=2, photo=True)  # photo, then text
        broadcast = await newest_broadcast(store_of(app))
        await wait_finished(app, broadcast.id)
        await asyncio.sleep(0.2)
        for user in subscribers:
            photo, text = sandbox.messages_in(user.id)[-2:]
            assert photo.kind is MessageKind.PHOTO and text.kind is MessageKind.TEXT
            assert "s_week9" in text.plain and text.buttons
        # 18 subscribers, one image: uploaded once for the broadcast, its file_id reused.
        assert len(sandbox.store.uploads) - uploads_before == 1

        # Week 10 (English only) fits in a caption: one photo message, buttons under it.
        await broadcast_week(admin, 10, per_language=1, photo=True)  # photo with caption
        async with asyncio.timeout(10):
            while (second := (await store_of(app).broadcasts.latest(1))[0]).id == broadcast.id:
                await asyncio.sleep(0.05)
        await wait_finished(app, second.id)
        await asyncio.sleep(0.2)
    for user in subscribers:
        post = sandbox.messages_in(user.id)[-1]
        assert post.kind is MessageKind.PHOTO
        assert post.plain.startswith("Week 10: A short one")
        assert post.buttons[0][0].url == "https://t.me/jfa_test_bot?start=s_week10"


async def test_weeks_not_written_yet_are_shown_as_not_published(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    content = Content.load(None)
    published = list(content.spotlights("en"))
    assert content.campaign_weeks == 10 and len(published) < 10
    async with run_bot():
        reader = sandbox.user(83_001, language_code="en")
        [weeks] = await reader.ask("/weeks")
    assert f"{len(published)} of 10 weeks" in weeks.plain
    assert "The others are not published yet." in weeks.plain
    weeks_offered = [b.callback_data.rsplit(":", 1)[-1] for row in weeks.buttons for b in row]
    assert weeks_offered == [str(week) for week in published]


async def test_an_untranslated_week_still_speaks_the_subscribers_language_around_it(
    sandbox: BotApiServer, run_bot: BotRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "content"
    shutil.copytree(SAMPLE_DIR, folder)
    (folder / "sw" / "spotlights.toml").unlink()  # Swahili has not translated week 9
    sw = Translator.for_locale("sw")
    async with run_bot(content_dir=folder) as app:
        reader = sandbox.user(84_001, language_code="sw")
        await reader.ask("/subscribe")
        admin = sandbox.user(ADMIN_ID, language_code="en")
        await broadcast_week(admin, 9, per_language=1)
        check = next(m for m in reversed(admin.messages) if "Translation check" in m.plain)
        assert "Kiswahili: 1 — no translation" in check.plain
        broadcast = await newest_broadcast(store_of(app))
        await wait_finished(app, broadcast.id)
        await asyncio.sleep(0.2)
    post = sandbox.messages_in(reader.id)[-1]
    english = Content.load(folder).spotlights("en")[9]
    assert post.plain.startswith(english.title)  # the post itself, as the organizer confirmed
    call = sw.gettext("✍️ Sign the petition and share it: {link}").split("{link}")[0]
    assert call in post.plain and "Sign the petition and share it" not in post.plain
    assert post.buttons[0][0].text == sw.gettext("✍️ Sign the petition")


async def test_a_supporter_turns_the_spotlight_on_and_off_in_the_settings_in_place(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    """The settings message shows the new state at once: no stale "off" above a new reply."""
    pt = Translator.for_locale("pt")
    user = sandbox.user(7301, language_code="pt")
    [settings] = await user.ask("/settings")
    off = pt.gettext("Weekly spotlight: {state}").format(state=pt.gettext("off"))
    assert off in settings.plain
    answer = await user.press(data_of(settings, pt.gettext("🔔 Get the weekly spotlight")))
    assert answer.text == pt.gettext("You will receive the weekly spotlight.")
    [edited] = await user.wait()
    assert edited.message_id == settings.message_id
    assert pt.gettext("Weekly spotlight: {state}").format(state=pt.gettext("on")) in edited.plain
    assert await store_of(bot).subscriptions.is_subscribed(7301)
    await user.press(data_of(edited, pt.gettext("🔕 Stop the weekly spotlight")))
    [stopped] = await user.wait()
    assert stopped.message_id == settings.message_id and off in stopped.plain
    assert pt.gettext("🔔 Get the weekly spotlight") in stopped.button_labels()
    assert not await store_of(bot).subscriptions.is_subscribed(7301)
    assert len(user.messages) == 1  # one message, kept up to date
