"""The country step shared by every form: read what was typed, and say what was found.

The signing form and the request forms (Action Pack, webinar) ask for a country the same
way: a text that names exactly one country is taken without a tap; otherwise the matches
(or close spellings) are offered as buttons, and the search is kept in the form's data
(`matches`, `query`, `suggested`) so a restart shows the same choice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html import escape

from telegram import InlineKeyboardButton

from jfa_bot.countries import find_country
from jfa_bot.forms import clean_text
from jfa_bot.i18n import Translator

__all__ = ["FRESH_SEARCH", "CountryAnswer", "choice_rows", "read_country", "search_text"]

#: Clears the country search, so a later visit to the step starts with the question.
FRESH_SEARCH: Mapping[str, object] = {"matches": [], "query": None, "suggested": False}
_QUERY_LIMIT = 60


@dataclass(frozen=True)
class CountryAnswer:
    """What a typed answer at the country step gave: one country, or a search to show."""

    #: The one country the text names, taken without a tap; None when a choice is needed.
    country: str | None
    #: The form data to store: the search to show, or a fresh one once a country is taken.
    search: dict[str, object] = field(default_factory=lambda: dict(FRESH_SEARCH))


def read_country(text: str, t: Translator) -> CountryAnswer:
    """Search for the country typed, in the person's language first."""
    found = find_country(text, t.locale)
    if found.unique is not None:  # the text names exactly one country: no tap needed
        return CountryAnswer(found.unique)
    query = clean_text(text, max_length=_QUERY_LIMIT).text or "…"
    return CountryAnswer(
        None, {"matches": list(found.codes), "query": query, "suggested": found.suggested}
    )


def search_text(t: Translator, data: Mapping[str, object]) -> str | None:
    """Return what to say about the last search, or None when nothing was typed yet."""
    query = data.get("query")
    if not query:
        return None
    if data.get("matches") and not data.get("suggested"):
        return t.gettext("Choose your country, or type another name:")
    if data.get("matches"):
        return t.gettext("I could not find “{query}”. Did you mean one of these?").format(
            query=escape(str(query))
        )
    return t.gettext(
        "I could not find “{query}”. Please try another spelling, or the country's "
        "name in English."
    ).format(query=escape(str(query)))


def choice_rows(
    t: Translator,
    matches: list[str],
    make_button: Callable[[str, str], InlineKeyboardButton],
) -> list[list[InlineKeyboardButton]]:
    """Return the countries found as buttons, two per row; `make_button(label, code)`."""
    buttons = [make_button(t.country_name(code), code) for code in matches]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
