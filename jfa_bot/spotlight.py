"""The weekly spotlight: which week it is, and a post as sent in each language.

A post is rendered whole in one language: its title and body come from that language's
`spotlights.toml` (or the default language's, when not translated), and the footer and the
buttons the bot adds from that language's catalog. A post may carry an image: sent as a
photo with the post as its caption when the post fits Telegram's 1,024-character caption,
else as a photo followed by the post.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from jfa_bot.content import Content, Spotlight
from jfa_bot.i18n import Translator

__all__ = [
    "Post",
    "build_post",
    "campaign_week",
    "current_week",
    "render_post",
    "scheduled_week",
    "week_extras",
    "week_posts",
]

#: Rows of (label, url) buttons under a post.
Buttons = tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True, slots=True)
class Post:
    """A post ready to send to one language: Telegram HTML, an optional photo, URL buttons."""

    text: str
    photo: Path | None = None
    buttons: Buttons = ()


def campaign_week(start: dt.date, today: dt.date) -> int:
    """Return the campaign's week number for `today` (week 1 starts on `start`)."""
    return (today - start).days // 7 + 1


def current_week(start: dt.date, today: dt.date, weeks: Iterable[int]) -> int | None:
    """Return the latest week with a post up to `today` (the first one before the campaign)."""
    available = sorted(weeks)
    if not available:
        return None
    number = campaign_week(start, today)
    past = [week for week in available if week <= number]
    return past[-1] if past else available[0]


def scheduled_week(content: Content, start: dt.date, day: dt.date) -> int | None:
    """Return the week the schedule sends on `day`, or None when that week has no post.

    Never an older week instead: a post sent again would look like news.
    """
    week = campaign_week(start, day)
    return week if week in content.spotlights(content.default_locale) else None


def sign_link(bot_username: str, week: int) -> str:
    """Return the link that opens the petition, counted for the week's post."""
    return f"https://t.me/{bot_username}?start=s_week{week}"


def render_post(post: Spotlight, t: Translator, bot_username: str) -> str:
    """Return the post as a message: title, body, and the call to sign and share."""
    link = sign_link(bot_username, post.week)
    call = t.gettext("✍️ Sign the petition and share it: {link}").format(link=escape(link))
    return f"<b>{escape(post.title)}</b>\n\n{post.body}\n\n{call}\n#TipTheScales #JusticeForAll"


def build_post(post: Spotlight, t: Translator, bot_username: str) -> Post:
    """Return the whole post in the translator's language: text, image and buttons."""
    sign = ((t.gettext("✍️ Sign the petition"), sign_link(bot_username, post.week)),)
    return Post(render_post(post, t, bot_username), post.image, (sign,))


def week_posts(content: Content, week: int, bot_username: str) -> dict[str, Post]:
    """Return the week's post for every locale, each with its own footer and buttons.

    A locale that has not translated the week gets the default language's title and body,
    still with the bot's own words (the call to sign, the buttons) in its language; the
    organizer's translation check says who would get an untranslated post.
    """
    default = content.spotlights(content.default_locale).get(week)
    own = content.spotlight_variants(week)
    return {
        locale: build_post(post, Translator.for_locale(locale), bot_username)
        for locale in content.locales
        if (post := own.get(locale, default)) is not None
    }


def week_extras(posts: dict[str, Post]) -> dict[str, dict[str, Any]]:
    """Return each locale's photo and buttons as a broadcast stores them (JSON-ready)."""
    return {
        locale: {
            "photo": str(post.photo) if post.photo else None,
            "buttons": [[list(pair) for pair in row] for row in post.buttons],
        }
        for locale, post in posts.items()
    }
