"""Checks shared by the reliability tests (the bot fixtures live in tests/conftest.py)."""

from __future__ import annotations

import re
from functools import cache

from babel.messages.pofile import read_po

from jfa_bot.i18n import locales_dir
from jfa_bot.store import Store

# Older tests import these from here; they live in tests/conftest.py.
from tests.conftest import settle, store_of  # noqa: F401

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


async def assert_counters_match_rows(store: Store, *, integrity: bool = True) -> int:
    """Check that every counter equals a direct count (and the file is sound); return the rows."""
    rows = int(await store.db.scalar("SELECT COUNT(*) FROM signatures"))
    counts = await store.signatures.counts("2000-01-01")
    by_country = await store.db.scalar("SELECT COALESCE(SUM(count), 0) FROM country_counts")
    by_day = await store.db.scalar("SELECT COALESCE(SUM(count), 0) FROM daily_counts")
    countries = await store.db.scalar("SELECT COUNT(DISTINCT country) FROM signatures")
    assert (counts.total, by_country, by_day, counts.countries) == (rows, rows, rows, countries)
    if integrity:
        assert await store.db.integrity_check() == "ok"
    return rows


@cache
def english_fragments(locale: str) -> frozenset[str]:
    """Return the catalog's English text (split at placeholders) a `locale` user never sees.

    Fragments of 13 characters or more are kept, except those the locale's translators
    kept as they are (a heading such as "<b>Sources</b>" may be the same in French).
    """
    with (locales_dir() / "messages.pot").open("rb") as fp:
        template = read_po(fp)
    with (locales_dir() / locale / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp, locale=locale)
    kept = "\n".join(
        form
        for message in catalog
        if message.id
        for form in (message.string if isinstance(message.string, tuple) else (message.string,))
        if form
    )
    fragments = set()
    for message in template:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for msgid in ids:
            for piece in _PLACEHOLDER.split(msgid or ""):
                if len(piece.strip()) > 12 and piece not in kept:
                    fragments.add(piece)
    return frozenset(fragments)


def untranslated_in(text: str, locale: str) -> list[str]:
    """Return the English catalog fragments found in text shown to a `locale` user."""
    if locale == "en" or not text:
        return []
    return [piece for piece in english_fragments(locale) if piece in text]
