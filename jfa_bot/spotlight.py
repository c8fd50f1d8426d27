"""The weekly spotlight: which week it is, and a post as sent in each language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape

from jfa_bot.content import Content, Spotlight
from jfa_bot.i18n import Translator

__all__ = ["current_week", "render_post", "week_variants"]


def current_week(start: dt.date, today: dt.date, weeks: Iterable[int]) -> int | None:
    """Return the campaign week for `today`, limited to the weeks that have a post."""
    available = sorted(weeks)
    if not available:
        return None
    number = (today - start).days // 7 + 1
    past = [week for week in available if week <= number]
    return past[-1] if past else available[0]


def render_post(post: Spotlight, t: Translator, bot_username: str) -> str:
    """Return the post as a message: title, body, and the call to sign and share."""
    link = f"https://t.me/{bot_username}?start=s_week{post.week}"
    call = t.gettext("✍️ Sign the petition and share it: {link}").format(link=escape(link))
    return f"<b>{escape(post.title)}</b>\n\n{post.body}\n\n{call}\n#TipTheScales #JusticeForAll"


def week_variants(content: Content, week: int, bot_username: str) -> dict[str, str]:
    """Return the week's post rendered for every locale that has its own translation."""
    return {
        locale: render_post(post, Translator.for_locale(locale), bot_username)
        for locale, post in content.spotlight_variants(week).items()
    }
