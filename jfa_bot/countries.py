"""Finding a country from what a person types, in their language or in English."""

from __future__ import annotations

import difflib
import functools
import unicodedata

from jfa_bot.i18n import Translator

__all__ = ["normalise", "search_countries"]


def normalise(text: str) -> str:
    """Fold case and accents and drop punctuation, for forgiving matching."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = (c for c in decomposed if not unicodedata.combining(c) and (c.isalnum() or c.isspace()))
    return " ".join("".join(kept).split())


@functools.cache
def _index(locale: str) -> tuple[tuple[str, str], ...]:
    """Return (normalised name, code) pairs in the locale and in English."""
    pairs = set()
    for lang in {locale, "en"}:
        for code, name in Translator.for_locale(lang).countries().items():
            pairs.add((normalise(name), code))
    return tuple(sorted(pairs))


def search_countries(query: str, t: Translator, *, limit: int = 8) -> tuple[list[str], bool]:
    """Return matching ISO codes, best first, and whether they are only suggestions."""
    wanted = normalise(query)
    if not wanted:
        return [], True
    index = _index(t.locale)
    found: list[str] = []
    if len(wanted) == 2 and wanted.upper() in t.countries():
        found.append(wanted.upper())
    ranked = sorted(
        (
            (0 if name == wanted else 1 if name.startswith(wanted) else 2, name, code)
            for name, code in index
            if wanted in name
        ),
    )
    for _rank, _name, code in ranked:
        if code not in found:
            found.append(code)
    if found:
        return found[:limit], False
    names = [name for name, _code in index]
    close = difflib.get_close_matches(wanted, names, n=limit * 2, cutoff=0.6)
    codes = dict(index)
    suggestions: list[str] = []
    for name in close:
        if codes[name] not in suggestions:
            suggestions.append(codes[name])
    return suggestions[:limit], True
