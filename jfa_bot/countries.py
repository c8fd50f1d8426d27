"""Finding the country a person means from what they type, in their language or another.

Names come from maintained data: babel's (CLDR's) territory names in each of the bot's
languages and in English (and the names the bot shows in their place, see
`jfa_bot/data/country_names.toml`), pycountry's ISO 3166-1 codes, official and common names and its
ISO 3166-3 former names; what those miss (abbreviations, everyday and former names in
each language) lives in `jfa_bot/data/country_aliases.toml`. Matching folds case, accents,
punctuation, spacing, a few small words ("the", "de", "ya") and the Arabic article, then
tries, in order: a whole name or code (exact), names that begin with or contain the words
typed (partial), and close spellings above a similarity threshold (suggested, scored by
rapidfuzz). Countries rank above dependent territories. The indexes are built once per
locale, on first use, so a search costs a scan of a few thousand short strings.
"""

from __future__ import annotations

import enum
import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pycountry
from rapidfuzz import fuzz, process

from jfa_bot.i18n import Translator, cldr_countries
from jfa_bot.settings import SUPPORTED_LOCALES

__all__ = ["CountrySearch", "MatchKind", "find_country", "normalise", "search_countries"]

_ALIASES = Path(__file__).resolve().parent / "data" / "country_aliases.toml"
#: Below this rapidfuzz score (0-100) a spelling is too far to suggest ("Keyna": 80). A
#: suggestion must also have a word beginning with the first letter typed: people rarely
#: mistype the first letter.
SIMILARITY_THRESHOLD = 80
#: Suggestions further than this below the best one are noise ("Czech Repulic": not France).
_SUGGESTION_WINDOW = 10
_SOURCE_LANGUAGE = "en"
# Small words that people add or leave out ("Republic of the Congo", "Trinidad y Tobago").
_STOPWORDS = frozenset(
    {
        *("the", "of", "and"),
        *("de", "del", "la", "las", "los", "el", "y", "e", "da", "das", "do", "dos"),
        *("des", "du", "et", "le", "les", "ya", "wa", "na"),
    }
)
_ARABIC = str.maketrans({"ة": "ه", "ى": "ي", "ـ": None})
_ISO_CODE = re.compile(r"[A-Z]{2,3}")
_REGIONAL_A = 0x1F1E6  # 🇦: a flag emoji is two such letters
_LONGEST_QUERY = 100  # country names are short; a pasted essay is not searched whole


class MatchKind(enum.Enum):
    """How the countries found relate to what was typed."""

    EXACT = "exact"  # the whole text is a name, alias or code of the first country
    PARTIAL = "partial"  # names that begin with or contain what was typed
    SUGGESTED = "suggested"  # nothing matched: close spellings, for the person to choose
    NONE = "none"  # nothing close enough to suggest


@dataclass(frozen=True)
class CountrySearch:
    """The outcome of one search: ISO codes, best first, and how sure it is."""

    codes: tuple[str, ...]
    kind: MatchKind
    #: The one country meant, when the text names exactly one: take it without a tap.
    unique: str | None = None

    @property
    def suggested(self) -> bool:
        """Tell whether the codes are only guesses (or there are none)."""
        return self.kind in (MatchKind.SUGGESTED, MatchKind.NONE)


def normalise(text: str) -> str:
    """Fold case, accents and punctuation (to spaces), for forgiving matching."""
    decomposed = unicodedata.normalize("NFKD", text.casefold()).translate(_ARABIC)
    kept = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(kept.split())


def _key(text: str) -> str:
    """Return the matching key: normalised, small words and the Arabic article dropped."""
    words = [_drop_article(word) for word in normalise(text).split()]
    kept = [word for word in words if word not in _STOPWORDS]
    return " ".join(kept or words)


def _drop_article(word: str) -> str:
    return word[2:] if word.startswith("ال") and len(word) > 3 else word


@dataclass(frozen=True)
class _Entry:
    key: str  # matching key
    compact: str  # the key without spaces, for whole-name comparison
    words: tuple[str, ...]  # the key's words, for abbreviated words ("S. Korea", "Rep Dom")
    code: str
    rank: int  # 0: the person's language, 1: English, codes and pycountry, 2: other languages
    inner: bool  # found by letters inside a word; not for long official names ("Democratic")


@dataclass(frozen=True)
class _Data:
    aliases: dict[str, dict[str, list[str]]]  # language → code → names
    ambiguous: dict[str, tuple[str, ...]]  # compact key → codes
    territories: frozenset[str]


@functools.cache
def _data() -> _Data:
    with _ALIASES.open("rb") as fp:
        raw = tomllib.load(fp)
    ambiguous = {
        _key(name).replace(" ", ""): tuple(codes) for name, codes in raw["ambiguous"].items()
    }
    return _Data(raw["aliases"], ambiguous, frozenset(raw["territories"]["codes"]))


def _pycountry_names(known: set[str]) -> dict[str, set[str]]:
    """Return English names beyond CLDR's: official, common and former ISO names."""
    names: dict[str, set[str]] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                names.setdefault(code, set()).update(_comma_forms(value))
    for former in pycountry.historic_countries:
        # ISO 3166-3: the last two letters of alpha_4 name the successor ("AA": unchanged).
        successor = former.alpha_4[2:]
        successor = former.alpha_2 if successor == "AA" else successor
        if successor in known:
            names.setdefault(successor, set()).add(former.name.split(",")[0])
    return names


def _comma_forms(name: str) -> set[str]:
    """Return "Korea, Republic of" as itself and as "Republic of Korea"."""
    head, _, tail = name.partition(", ")
    return {name, f"{tail} {head}"} if tail else {name}


@functools.cache
def _index(locale: str) -> tuple[_Entry, ...]:
    """Return every name, alias and code of every country, ranked for one locale."""
    known = set(Translator.for_locale(_SOURCE_LANGUAGE).countries())
    pairs: dict[tuple[str, str], tuple[int, bool]] = {}

    def add(name: str, code: str, rank: int, *, inner: bool = True) -> None:
        key = _key(name)
        if key and code in known:
            old_rank, old_inner = pairs.get((key, code), (rank, inner))
            pairs[(key, code)] = (min(rank, old_rank), inner or old_inner)

    def rank_of(language: str) -> int:
        return 0 if language == locale else 1 if language == _SOURCE_LANGUAGE else 2

    for language in {*SUPPORTED_LOCALES, _SOURCE_LANGUAGE, locale}:
        for code, name in Translator.for_locale(language).countries().items():
            add(name, code, rank_of(language))
        for code, name in cldr_countries(language).items():  # "Palestinian Territories"
            add(name, code, rank_of(language))
    for code, english in _pycountry_names(known).items():
        for name in english:
            add(name, code, 1, inner=False)
    for language, by_code in _data().aliases.items():
        for code, aliases in by_code.items():
            for name in aliases:
                add(name, code, rank_of(language))
    return tuple(
        _Entry(key, key.replace(" ", ""), tuple(key.split()), code, rank, inner)
        for (key, code), (rank, inner) in sorted(pairs.items())
    )


@functools.cache
def _codes() -> dict[str, str]:
    """Return ISO 3166-1 alpha-2 and alpha-3 codes (upper case) → alpha-2."""
    known = set(Translator.for_locale(_SOURCE_LANGUAGE).countries())
    codes = {code: code for code in known}
    for country in pycountry.countries:
        if country.alpha_2 in known:
            codes[country.alpha_3] = country.alpha_2
    return codes


@functools.cache
def _fuzzy_choices(locale: str) -> tuple[list[str], list[str]]:
    index = _index(locale)
    return [entry.key for entry in index], [entry.code for entry in index]


def _flag(text: str) -> str | None:
    """Return the ISO code of a flag emoji ("🇰🇪" → "KE"), if the text is one."""
    letters = [ord(c) - _REGIONAL_A for c in text.strip() if 0 <= ord(c) - _REGIONAL_A < 26]
    if len(letters) != 2 or len(text.strip()) != 2:
        return None
    return "".join(chr(ord("A") + letter) for letter in letters)


def find_country(query: str, locale: str, *, limit: int = 8) -> CountrySearch:
    """Return the countries a person most likely means by `query`, best first."""
    query = query[:_LONGEST_QUERY]
    flag = _flag(query)
    if flag and flag in _codes():
        return CountrySearch((_codes()[flag],), MatchKind.EXACT, _codes()[flag])
    wanted = _key(query)
    if not wanted:
        return CountrySearch((), MatchKind.NONE)
    compact = wanted.replace(" ", "")
    data = _data()
    index = _index(locale)
    best: dict[str, tuple[int, ...]] = {}  # code → the best sort key of its matching names

    def note(code: str, tier: int, rank: int, at_start: int) -> None:
        territory = int(code in data.territories)
        # A whole name comes first, even a territory's ("Puerto Rico"); below that, every
        # country before any dependent territory.
        candidate = (min(tier, 1), territory, tier, rank, at_start)
        if code not in best or candidate < best[code]:
            best[code] = candidate

    exact_by_name: set[str] = set()
    spaced = f" {wanted}"
    typed_words = wanted.split()
    for entry in index:
        if entry.compact == compact:
            exact_by_name.add(entry.code)
            note(entry.code, 0, entry.rank, 0)
        elif entry.key.startswith(wanted):
            note(entry.code, 1, entry.rank, 0)
        elif spaced in f" {entry.key}":
            note(entry.code, 1, entry.rank, 1)
        elif entry.inner and len(wanted) >= 3 and wanted in entry.key:
            note(entry.code, 2, entry.rank, 1)
        elif len(typed_words) > 1 and _words_begin(typed_words, entry.words):
            note(entry.code, 2, entry.rank, 2)
    ambiguous = data.ambiguous.get(compact)
    if ambiguous:
        for order, code in enumerate(ambiguous):
            best[code] = (0, 0, 0, 0, order)
        exact_by_name.update(ambiguous)
    code_match = _codes().get(query.strip().upper()) if len(compact) in (2, 3) else None
    if code_match:
        best[code_match] = (0, 0, 0, 0, -1)
    if best:
        codes = _ranked(best, locale)[:limit]
        exact = {code for code, sort_key in best.items() if sort_key[0] == 0}
        unique = None
        if len(exact) == 1 and not ambiguous:
            (only,) = exact
            # A code counts on its own only when written as codes are ("KE", "USA"): in
            # lower case "ind" is as likely the start of Indonesia as India's code.
            typed_as_code = _ISO_CODE.fullmatch(query.strip()) is not None
            if only in exact_by_name or typed_as_code:
                unique = only
        kind = MatchKind.EXACT if exact else MatchKind.PARTIAL
        return CountrySearch(tuple(codes), kind, unique)
    return _suggest(wanted, locale, limit)


def _words_begin(typed: list[str], words: tuple[str, ...]) -> bool:
    """Tell whether each typed word begins a word of the name, in order."""
    position = 0
    for part in typed:
        while position < len(words) and not words[position].startswith(part):
            position += 1
        if position == len(words):
            return False
        position += 1
    return True


def _ranked(best: dict[str, tuple[int, ...]], locale: str) -> list[str]:
    names = Translator.for_locale(locale).countries()
    return sorted(best, key=lambda code: (best[code], normalise(names.get(code) or code)))


def _suggest(wanted: str, locale: str, limit: int) -> CountrySearch:
    """Return close spellings above the similarity threshold, countries first."""
    keys, codes = _fuzzy_choices(locale)
    scored = process.extract(
        wanted,
        keys,
        scorer=fuzz.token_sort_ratio,  # word order does not matter: "Korea South"
        score_cutoff=SIMILARITY_THRESHOLD,
        limit=limit * 4,
    )
    territories = _data().territories
    close = [(key, score, at) for key, score, at in scored if f" {wanted[0]}" in f" {key}"]
    best: dict[str, tuple[int, int]] = {}  # code → (territory, -score)
    for _key_found, score, position in close:
        if score < close[0][1] - _SUGGESTION_WINDOW:
            break
        code = codes[position]
        candidate = (int(code in territories), -round(score))
        if code not in best or candidate < best[code]:
            best[code] = candidate
    found = sorted(best, key=lambda code: (best[code], code))[:limit]
    return CountrySearch(tuple(found), MatchKind.SUGGESTED if found else MatchKind.NONE)


def search_countries(query: str, t: Translator, *, limit: int = 8) -> tuple[list[str], bool]:
    """Return matching ISO codes, best first, and whether they are only suggestions."""
    result = find_country(query, t.locale, limit=limit)
    return list(result.codes), result.suggested
